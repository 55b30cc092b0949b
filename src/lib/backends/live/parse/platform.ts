import type {LeafPlatform} from '../../../leaf/driver.js'

/**
 * A switch's hardware model, as the switch itself says: ONIE's machine.conf (`onie_platform`, else
 * `onie_machine`; `/etc/machine.conf` on Cumulus-style NOSes, `/host/machine.conf` on SONiC), else
 * DMI's product name. Never from the leaf's name or the inventory.
 *
 * The script's sections: `onie` (path line, then the file) and `dmi` (the product name). */
export const PLATFORM_SCRIPT = [
  'echo @@onie@@; for f in /etc/machine.conf /host/machine.conf; do [ -r "$f" ] && { echo "$f"; cat "$f"; break; }; done; true',
  'echo @@dmi@@; cat /sys/class/dmi/id/product_name 2>/dev/null; true',
].join('\n')

/** The model from the script's two sections (see PLATFORM_SCRIPT). */
export function parsePlatform(onie: string, dmi: string): LeafPlatform {
  const [file, ...lines] = onie.trim().split('\n')
  if (file) {
    const vars = new Map(
      lines.flatMap(l => {
        const m = /^\s*(onie_[a-z_]+)\s*=\s*"?([^"\n]*?)"?\s*$/.exec(l)
        return m ? [[m[1]!, m[2]!] as const] : []
      }),
    )
    for (const key of ['onie_platform', 'onie_machine'])
      if (vars.get(key)) return {model: vars.get(key)!, source: `${file} ${key}`, reason: null}
  }
  const product = dmi.trim()
  if (product && !/^(To be filled|Default string|System Product Name)/i.test(product))
    return {model: product, source: '/sys/class/dmi/id/product_name', reason: null}
  return {
    model: null,
    source: null,
    reason: `${file ? `${file} names no onie_platform/onie_machine` : 'no ONIE machine.conf (/etc/machine.conf, /host/machine.conf)'}, and ${product ? `DMI's product name is a placeholder ("${product}")` : 'no DMI product name'}`,
  }
}
