import {simPortStates} from '../../diagnose/states.js'
import type {StateRecorder} from '../../seam/states.js'
import type {FabricStore} from '../../store/fabric-store.js'

/** The sim records each port's planes in its store, on its own clock. */
export function simStates(store: FabricStore): StateRecorder {
  return {
    now: () => store.now(),
    recordedNote: null,
    portStates: async by => simPortStates(store, by),
  }
}
