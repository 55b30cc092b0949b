import type {Faults} from '../../seam/faults.js'

/** A live fabric takes no injected faults: the optional capability is absent. */
export const liveFaults: Faults | undefined = undefined
