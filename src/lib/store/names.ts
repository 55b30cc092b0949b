import type {FabricStore} from './fabric-store.js'

/**
 * The names that do exist, for did-you-mean on a "No … named" error (only on that path: a full
 * scan of one column, fine even for the seed profile's ports).
 */
export function hostNames(store: FabricStore): string[] {
  return store.sql('SELECT name FROM hosts ORDER BY name').pluck().all() as string[]
}

export function leafNames(store: FabricStore): string[] {
  return store.sql("SELECT name FROM switches WHERE role = 'leaf' ORDER BY name").pluck().all() as string[]
}

export function portNames(store: FabricStore): string[] {
  return store.sql('SELECT name FROM ports ORDER BY name').pluck().all() as string[]
}
