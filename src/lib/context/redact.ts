import type {ContextConfig} from './schema.js'

/** A copy of the context safe to print: passwords and tokens replaced. */
export function redactContext(c: ContextConfig): ContextConfig {
  if (c.backend !== 'live') return c
  const auth = {...c.neutron.auth} as Record<string, unknown>
  for (const key of ['password', 'token']) if (typeof auth[key] === 'string') auth[key] = '<redacted>'
  return {...c, neutron: {...c.neutron, auth: auth as never}}
}
