import fs from 'node:fs'
import {defineConfig} from 'vitest/config'

// The live lab (test/lab) is brought up once per run by the global setup, when the machine can run it.
const liveSetup = 'test/live/global-setup.ts'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 240_000,
    globalSetup: fs.existsSync(liveSetup) ? [liveSetup] : [],
    reporters: ['default'],
  },
})
