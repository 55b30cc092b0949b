// audit hosts: the bond's mode, LACP and active member, read from bond/show and lacp/show (outputs
// recorded from a real Open vSwitch, test/fixtures/ovs), and the findings they give.
import {describe, expect, it} from 'vitest'

import {loadCatalogue} from '../../src/lib/audit/catalogue.js'
import {auditEvidence} from '../../src/lib/audit/checks/index.js'
import {collectEvidence, type ProbeResult} from '../../src/lib/audit/collect.js'
import {dualHomed, failed, ok, ovsFixture, recordedHost} from '../helpers/recorded-host.js'

const fx = ovsFixture
const runner = (bondShow: ProbeResult, lacpShow: ProbeResult) => recordedHost({ovsBond: bondShow, ovsLacp: lacpShow})
const hints = dualHomed('h1')
const audit = async (bond: ProbeResult, lacp: ProbeResult) =>
  auditEvidence(await collectEvidence(runner(bond, lacp), hints, 'ssh', 'h1'), ['nic'], loadCatalogue())
const ids = (a: Awaited<ReturnType<typeof audit>>) => a.findings.map(f => f.id)

describe('audit: bond mode, LACP and the active member', () => {
  it('active-backup, LACP off: reported, no LACP finding', async () => {
    const a = await audit(ok(fx('bond-show.active-backup.txt')), ok(''))
    expect(a.facts!.bond).toEqual({
      name: 'bond0',
      mode: 'active-backup',
      lacp: 'off',
      activeMember: 'eth0',
      unknown: {},
    })
    expect(ids(a)).not.toContain('nic.lacp-not-negotiated')
    expect(ids(a)).not.toContain('nic.bond-fallback')
  })

  it('balance-slb is reported with its active member', async () => {
    const a = await audit(ok(fx('bond-show.balance-slb.txt')), ok(''))
    expect(a.facts!.bond).toMatchObject({mode: 'balance-slb', lacp: 'off', activeMember: 'eth0'})
    expect(ids(a).filter(i => i.startsWith('nic.lacp') || i.startsWith('nic.bond'))).toEqual([])
  })

  it('balance-tcp with LACP configured but never negotiated, in fallback: two findings', async () => {
    const a = await audit(ok(fx('bond-show.balance-tcp-lacp-defaulted.txt')), ok(fx('lacp-show.defaulted.txt')))
    expect(a.facts!.bond).toMatchObject({mode: 'balance-tcp', lacp: 'configured', activeMember: 'eth0'})
    const lacp = a.findings.find(f => f.id === 'nic.lacp-not-negotiated')!
    expect(lacp.severity).toBe('error')
    expect(lacp.title).toContain('eth0, eth1 defaulted')
    expect(lacp.remediation).toContain('leaf-a:swp1 and leaf-b:swp1')
    expect(a.findings.find(f => f.id === 'nic.bond-fallback')).toMatchObject({severity: 'warning'})
    expect(a.verdict).toBe('error')
  })

  it('LACP not negotiated and no fallback: no active member, the bond carries nothing', async () => {
    const a = await audit(ok(fx('bond-show.balance-tcp-lacp-nofallback.txt')), ok(fx('lacp-show.defaulted.txt')))
    expect(a.facts!.bond!.activeMember).toBeNull()
    expect(a.facts!.bond!.unknown.activeMember).toMatch(/no active member/)
    expect(ids(a)).toEqual(expect.arrayContaining(['nic.lacp-not-negotiated', 'nic.bond-no-active-member']))
    expect(ids(a)).not.toContain('nic.bond-fallback')
  })

  it('bond/show failing is unknown with the reason, never a default mode', async () => {
    const a = await audit(failed('ovs-appctl: cannot connect to ovs-vswitchd'), failed('same'))
    expect(a.facts!.bond).toMatchObject({mode: null, lacp: null, activeMember: null})
    expect(a.facts!.bond!.unknown.mode).toMatch(/bond\/show failed: ovs-appctl: cannot connect/)
    expect(a.findings.find(f => f.id === 'nic.bond-mode-unknown')).toMatchObject({unknown: true})
  })
})
