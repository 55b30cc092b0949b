import type {PortStatesResult, StatesBy} from '../diagnose/states.js'

/** Port state recording: the recorded UNDERLAY_OVERLAY states and the recorder's clock. */
export interface StateRecorder {
  /** The recorder's time (the sim's clock; the wall clock live), ISO 8601. */
  now(): string
  /** How the recorded states are derived, for notes beside them (null: they are recorded as such). */
  readonly recordedNote: string | null
  /** Recorded port states, counted per group. */
  portStates(by: StatesBy): Promise<PortStatesResult>
}
