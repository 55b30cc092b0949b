import {bugsAffecting, type Catalogue} from '../catalogue.js'
import type {Finding, HostEvidence} from '../types.js'
import {parseVersion} from '../version.js'
import {ev, finding, sample, unknown} from './util.js'

/**
 * ovs: is Open vSwitch installed and running, on a version with known bugs (catalogue), with every
 * interface attached (ofport set, not -1)?
 */
export function checkOvs(e: HostEvidence, catalogue: Catalogue): Finding[] {
  const o = e.ovs
  const f = e.from
  if (!o.expected)
    return [
      finding('ovs', 'not-applicable', 'info', 'No Open vSwitch on this host (bare metal): nothing to check.', [
        ev(f.role, e.role),
      ]),
    ]
  if (o.installed === false) {
    return [
      finding(
        'ovs',
        'not-installed',
        'error',
        'Open vSwitch is not installed.',
        [ev(f.ovsTool, o.runningDetail ?? 'ovs-vsctl: command not found')],
        'Install Open vSwitch (a maintained LTS) and the OVS agent, or take the host out of the compute pool.',
      ),
    ]
  }
  const out: Finding[] = []
  if (o.dbReachable === false || o.vswitchdRunning === false) {
    const which = [o.dbReachable === false ? 'ovsdb-server' : null, o.vswitchdRunning === false ? 'ovs-vswitchd' : null]
      .filter(Boolean)
      .join(' and ')
    out.push(
      finding(
        'ovs',
        'not-running',
        'error',
        `Open vSwitch is not running (${which} not answering): instances on this host have no network.`,
        [ev(f.ovsRunning, o.runningDetail ?? `${which} not running`)],
        'Start it (`systemctl start openvswitch-switch`), read /var/log/openvswitch/ovs-vswitchd.log for why it stopped, then check the OVS agent re-wired the ports.',
      ),
    )
  } else if (o.dbReachable === null && o.vswitchdRunning === null) {
    out.push(
      unknown('ovs', 'running-unknown', 'Could not tell whether Open vSwitch is running.', [
        ev(f.ovsRunning, o.runningDetail ?? 'no answer'),
      ]),
    )
  }

  // The version that matters is the running daemon's, then the database's, then the tools'.
  const version = o.daemonVersion ?? o.dbVersion ?? o.toolVersion
  const versionSource = o.daemonVersion ? f.ovsDaemon : o.dbVersion ? f.ovsDb : f.ovsTool
  const parsed = parseVersion(version)
  if (!version || !parsed) {
    out.push(
      unknown(
        'ovs',
        'version-unknown',
        `Could not read the Open vSwitch version${version ? ` (unparseable: "${version}")` : ''}.`,
        [ev(versionSource, version ?? 'no answer')],
        'Check `ovs-vsctl --version` and `ovs-vsctl get Open_vSwitch . ovs_version` on the host.',
      ),
    )
  } else {
    const distinct = [
      ...new Set(
        [o.toolVersion, o.dbVersion, o.daemonVersion]
          .filter((v): v is string => !!v)
          .map(v => parseVersion(v)?.text ?? v),
      ),
    ]
    if (distinct.length > 1) {
      out.push(
        finding(
          'ovs',
          'version-mismatch',
          'warning',
          `Open vSwitch versions disagree (${distinct.join(' vs ')}): upgraded packages but daemons not restarted, or a stale ovs_version.`,
          [
            ev(f.ovsTool, o.toolVersion ?? '-'),
            ev(f.ovsDb, o.dbVersion ?? '-'),
            ev(f.ovsDaemon, o.daemonVersion ?? '-'),
          ],
          'Restart ovs-vswitchd and ovsdb-server after an upgrade (the running daemon is what has the bugs), then set ovs_version in the Open_vSwitch table.',
        ),
      )
    }
    const hits = bugsAffecting(catalogue, version)
    for (const {bug, range} of hits) {
      const distro =
        parsed.suffix.length > 0
          ? ` The build is a distribution package (${version}): it may carry a backported fix — check its changelog.`
          : ''
      out.push(
        finding(
          'ovs',
          `known-bug.${bug.id}`,
          bug.severity,
          `OVS ${parsed.text}: ${bug.title}.`,
          [
            ev(versionSource, version),
            ev(
              'catalogue',
              `${bug.id}: affected ${range}; fixed in ${bug.fixedIn.join(', ') || 'n/a'}; ${bug.references.join(' ')}`,
            ),
          ],
          `${bug.remediation}${distro}`,
        ),
      )
    }
    if (hits.length === 0) {
      out.push(
        finding(
          'ovs',
          'version',
          'info',
          `OVS ${parsed.text}: no bug of the catalogue (${catalogue.bugs.length} entries) affects it.`,
          [ev(versionSource, version)],
        ),
      )
    }
  }

  if (o.interfaces) {
    const failed = o.interfaces.filter(i => i.ofport === null || i.ofport < 0)
    if (failed.length > 0) {
      out.push(
        finding(
          'ovs',
          'attach-failed',
          'error',
          `${failed.length} OVS interface(s) failed to attach (ofport ${failed.some(i => i.ofport === -1) ? '-1' : 'empty'}): ${sample(failed.map(i => i.name))}.`,
          failed
            .slice(0, 10)
            .map(i =>
              ev(
                f.ovsInterfaces,
                `${i.name} (bridge ${i.bridge ?? '?'}, type ${i.type || 'system'}): ofport ${i.ofport ?? '[]'}${i.error ? `, error "${i.error}"` : ''}`,
              ),
            ),
          'Read the Interface error column (`ovs-vsctl get Interface NAME error`): a missing device, or a bridge on a datapath the kernel lacks (use datapath_type=netdev without the openvswitch module). Fix, then `ovs-vsctl del-port`/`add-port` or restart the OVS agent.',
        ),
      )
    }
  } else if (o.dbReachable !== false) {
    out.push(
      unknown('ovs', 'interfaces-unknown', 'Could not list OVS interfaces (ofport).', [
        ev(f.ovsInterfaces, 'no answer'),
      ]),
    )
  }
  return out
}
