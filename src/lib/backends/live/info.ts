import type {FabricInfo} from '../../fabric.js'

export const LIVE_INFO: FabricInfo = {backend: 'live', desiredSource: 'neutron+inventory', hostSource: 'ssh'}
