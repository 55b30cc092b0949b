import {afterEach, expect} from 'vitest'

import type {FabricError} from '../../src/lib/cli/errors.js'

/** The error a port operation was refused with (the test fails when it succeeded). */
export const rejected = (p: Promise<unknown>) =>
  p.then(
    () => expect.unreachable('the operation succeeded'),
    (e: unknown) => e as FabricError & {details: any},
  )

/** Unset the failure-injection hooks (ports/plan.ts) after each test of the calling file. */
export function clearFailureHooksAfterEach(): void {
  afterEach(() => {
    delete process.env.FABRICCTL_FAIL_STEP
    delete process.env.FABRICCTL_FAIL_UNDO
  })
}
