import fs from 'node:fs'
import path from 'node:path'
import {Plugin} from '@oclif/core'
import {describe, expect, it} from 'vitest'

import {ROOT} from '../helpers/cli.js'

describe('committed build artifacts', () => {
  it('oclif.manifest.json matches the commands (run `npm run build` when this fails)', async () => {
    const plugin = new Plugin({root: ROOT, type: 'core', ignoreManifest: true, errorOnManifestCreate: true, respectNoCacheDefault: true})
    await plugin.load()
    const committed = JSON.parse(fs.readFileSync(path.join(ROOT, 'oclif.manifest.json'), 'utf8'))
    expect(Object.keys(committed.commands).sort()).toEqual(Object.keys(plugin.manifest.commands).sort())
    expect(committed).toEqual(JSON.parse(JSON.stringify(plugin.manifest)))
  })

  it('oclif.manifest.json is written in a stable order, so a build leaves git clean (`node scripts/sort-manifest.mjs`)', async () => {
    const {normalizeManifest} = await import(path.join(ROOT, 'scripts', 'sort-manifest.mjs'))
    const plugin = new Plugin({root: ROOT, type: 'core', ignoreManifest: true, errorOnManifestCreate: true, respectNoCacheDefault: true})
    await plugin.load()
    const text = fs.readFileSync(path.join(ROOT, 'oclif.manifest.json'), 'utf8')
    // byte for byte what the build writes: the loaded manifest with its commands sorted by id
    expect(text).toBe(normalizeManifest(JSON.parse(JSON.stringify(plugin.manifest))))
    // and the order is the sorted one whatever order the loader produced
    const shuffled = {...plugin.manifest, commands: Object.fromEntries(Object.entries(plugin.manifest.commands).reverse())}
    expect(normalizeManifest(JSON.parse(JSON.stringify(shuffled)))).toBe(text)
    expect(Object.keys(JSON.parse(text).commands)).toEqual(Object.keys(plugin.manifest.commands).sort())
  })

  it('schemas/*.schema.json match the zod output schemas (run `npm run schemas` when this fails)', async () => {
    const {OUTPUT_SCHEMAS, jsonSchemaFor} = await import(path.join(ROOT, 'dist/lib/schemas/index.js'))
    const dir = path.join(ROOT, 'schemas')
    const files = fs.readdirSync(dir).filter(f => f.endsWith('.schema.json')).sort()
    expect(files).toEqual(Object.keys(OUTPUT_SCHEMAS).map(k => `${k}.schema.json`).sort())
    for (const kind of Object.keys(OUTPUT_SCHEMAS)) {
      expect(JSON.parse(fs.readFileSync(path.join(dir, `${kind}.schema.json`), 'utf8')), kind).toEqual(jsonSchemaFor(kind))
    }
  })

  it('no command file imports a heavy module at its top level', () => {
    const heavy = /^import\s[^;]*from\s+'(better-sqlite3|ssh2|ink|react|ink-testing-library)'/m
    const offenders: string[] = []
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(dir, {withFileTypes: true})) {
        const p = path.join(dir, e.name)
        if (e.isDirectory()) walk(p)
        else if (/\.tsx?$/.test(e.name) && heavy.test(fs.readFileSync(p, 'utf8').replaceAll(/^import type .*$/gm, ''))) offenders.push(path.relative(ROOT, p))
      }
    }
    walk(path.join(ROOT, 'src', 'commands'))
    expect(offenders).toEqual([])
  })
})
