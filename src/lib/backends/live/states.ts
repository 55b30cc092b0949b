import type {LiveContext} from '../../context/schema.js'
import {livePortStates} from '../../diagnose/states.js'
import type {StateRecorder} from '../../seam/states.js'

/** Live, Neutron records the states: the underlay in `status`, the overlay in `data_plane_status`. */
export function liveStates(ctx: LiveContext): StateRecorder {
  return {
    now: () => new Date().toISOString(),
    recordedNote: 'recorded: underlay from Neutron status, overlay from data_plane_status',
    portStates: by => livePortStates(ctx, by),
  }
}
