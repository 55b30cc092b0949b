import fs from 'node:fs'
import {defineConfig} from 'vitest/config'

// The live lab (test/lab) is brought up once per run by the live project's global setup.
const liveSetup = 'test/live/global-setup.ts'

export default defineConfig({
  test: {
    pool: 'forks',
    // CLI-driven unit tests take 40-60 s each on a loaded 2-core CI machine (load 20): 60 s was hit
    testTimeout: 180_000,
    hookTimeout: 300_000,
    // the default reporter, then the skipped tests with their reasons (test/helpers/skip-summary-reporter.ts)
    reporters: ['default', './test/helpers/skip-summary-reporter.ts'],
    projects: [
      {extends: true, test: {name: 'unit', include: ['test/**/*.test.ts'], exclude: ['test/live/**']}},
      // Live files share one lab and some of them break and restore parts of it: one file at a time.
      {extends: true, test: {name: 'live', include: ['test/live/**/*.test.ts'], fileParallelism: false, globalSetup: fs.existsSync(liveSetup) ? [liveSetup] : []}},
    ],
  },
})
