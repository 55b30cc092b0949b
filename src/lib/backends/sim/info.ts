import type {FabricInfo} from '../../fabric.js'

export const SIM_INFO: FabricInfo = {backend: 'sim', desiredSource: 'cabling', hostSource: 'sim'}
