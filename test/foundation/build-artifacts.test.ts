import fs from 'node:fs'
import path from 'node:path'
import {Plugin} from '@oclif/core'
import {describe, expect, it} from 'vitest'

import {ROOT} from '../helpers/cli.js'

/** The root plugin with its manifest built from the command files (not read from oclif.manifest.json); loaded once. */
let fresh: Promise<Plugin> | undefined
function freshPlugin(): Promise<Plugin> {
  fresh ??= (async () => {
    const plugin = new Plugin({
      root: ROOT,
      type: 'core',
      ignoreManifest: true,
      errorOnManifestCreate: true,
      respectNoCacheDefault: true,
    })
    await plugin.load()
    return plugin
  })()
  return fresh
}

describe('committed build artifacts', () => {
  it('oclif.manifest.json matches the commands (run `npm run build` when this fails)', async () => {
    const plugin = await freshPlugin()
    const committed = JSON.parse(fs.readFileSync(path.join(ROOT, 'oclif.manifest.json'), 'utf8'))
    expect(Object.keys(committed.commands).sort()).toEqual(Object.keys(plugin.manifest.commands).sort())
    expect(committed).toEqual(JSON.parse(JSON.stringify(plugin.manifest)))
  })

  it('oclif.manifest.json is written in a stable order, so a build leaves git clean (`node scripts/sort-manifest.mjs`)', async () => {
    const {normalizeManifest} = await import(path.join(ROOT, 'scripts', 'sort-manifest.mjs'))
    const plugin = await freshPlugin()
    const text = fs.readFileSync(path.join(ROOT, 'oclif.manifest.json'), 'utf8')
    // byte for byte what the build writes: the loaded manifest with its commands sorted by id
    expect(text).toBe(normalizeManifest(JSON.parse(JSON.stringify(plugin.manifest))))
    // and the order is the sorted one whatever order the loader produced
    const shuffled = {
      ...plugin.manifest,
      commands: Object.fromEntries(Object.entries(plugin.manifest.commands).reverse()),
    }
    expect(normalizeManifest(JSON.parse(JSON.stringify(shuffled)))).toBe(text)
    expect(Object.keys(JSON.parse(text).commands)).toEqual(Object.keys(plugin.manifest.commands).sort())
  })

  it('schemas/*.schema.json match the zod output schemas (run `npm run schemas` when this fails)', async () => {
    const {OUTPUT_SCHEMAS, jsonSchemaFor} = await import(path.join(ROOT, 'dist/lib/schemas/index.js'))
    const dir = path.join(ROOT, 'schemas')
    const files = fs
      .readdirSync(dir)
      .filter(f => f.endsWith('.schema.json'))
      .sort()
    expect(files).toEqual(
      Object.keys(OUTPUT_SCHEMAS)
        .map(k => `${k}.schema.json`)
        .sort(),
    )
    for (const kind of Object.keys(OUTPUT_SCHEMAS)) {
      expect(JSON.parse(fs.readFileSync(path.join(dir, `${kind}.schema.json`), 'utf8')), kind).toEqual(
        jsonSchemaFor(kind),
      )
    }
  })

  it('the lint config forbids a heavy module at the top of a command file (npm run lint checks the real files)', async () => {
    const {ESLint} = await import('eslint')
    const rule = '@typescript-eslint/no-restricted-imports'
    const eslint = new ESLint({cwd: ROOT, ruleFilter: ({ruleId}) => ruleId === rule})
    const lint = async (code: string, file = 'src/commands/x/y.ts') =>
      (await eslint.lintText(code, {filePath: path.join(ROOT, file)}))[0]!.messages.map(m => m.ruleId)
    for (const heavy of ['better-sqlite3', 'ssh2', 'ink', 'react']) {
      expect(await lint(`import x from '${heavy}'\nexport const y = x\n`), heavy).toEqual([rule])
    }
    expect(await lint(`import {render} from 'ink'\nexport const r = render\n`)).toEqual([rule])
    // Allowed: a type-only import, a dynamic import on the path that needs it, and any import outside src/commands.
    expect(await lint(`import type {Client} from 'ssh2'\nexport type C = Client\n`)).toEqual([])
    expect(await lint(`export const load = async () => (await import('better-sqlite3')).default\n`)).toEqual([])
    expect(
      await lint(`import Database from 'better-sqlite3'\nexport const D = Database\n`, 'src/lib/store/z.ts'),
    ).toEqual([])
  }, 60_000)
})
