/** `port states` groups by one of these. */
export const STATES_BY = ['az', 'host', 'leaf', 'network'] as const
export type StatesBy = (typeof STATES_BY)[number]

/** Ports per UNDERLAY_OVERLAY state, grouped (the reference's port-state panel, Fig 8). */
export interface PortStatesResult {
  by: StatesBy
  at: string
  /** States present, non-healthy first (ERROR, then BUILD, then DOWN), ACTIVE_ACTIVE last. */
  states: string[]
  total: number
  unhealthy: number
  totals: Record<string, number>
  groups: {key: string; total: number; unhealthy: number; states: Record<string, number>}[]
  note: string | null
}

/** Port state recording: the recorded UNDERLAY_OVERLAY states and the recorder's clock. */
export interface StateRecorder {
  /** The recorder's time (the sim's clock; the wall clock live), ISO 8601. */
  now(): string
  /** How the recorded states are derived, for notes beside them (null: they are recorded as such). */
  readonly recordedNote: string | null
  /** Recorded port states, counted per group. */
  portStates(by: StatesBy): Promise<PortStatesResult>
}
