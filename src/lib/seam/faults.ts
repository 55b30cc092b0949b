import type {Fault, FaultKind} from '../sim/faults.js'

export type {Fault, FaultKind}

/** Injected faults: an optional capability (only the simulated fabric has it). */
export interface Faults {
  inject(kind: FaultKind, target: string, opts?: {interface?: string; vlan?: number}): Fault
  list(): Fault[]
  /** Clear one fault by id, or all; puts back what they changed. Returns the faults cleared. */
  clear(id: number | 'all'): Fault[]
}
