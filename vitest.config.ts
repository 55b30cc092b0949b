import fs from 'node:fs'
import {defineConfig} from 'vitest/config'

// The live lab (test/lab) is brought up once per run by the live project's global setup.
const liveSetup = 'test/live/global-setup.ts'

export default defineConfig({
  test: {
    pool: 'forks',
    // Spawned CLIs run dist/, never a bundle/ left by an earlier `npm run build` (test/bundle.test.ts builds its own).
    env: {FABRICCTL_NO_BUNDLE: '1'},
    // CLI-driven unit tests take 40-60 s each on a loaded 2-core CI machine (load 20): 60 s was hit
    testTimeout: 180_000,
    hookTimeout: 300_000,
    // the default reporter, then the skipped tests with their reasons (test/helpers/skip-summary-reporter.ts)
    reporters: ['default', './test/helpers/skip-summary-reporter.ts'],
    projects: [
      // The fast loop (`npm run test:unit`): commands run in-process (test/helpers/cli.ts), small fabrics.
      // isolate: false — one worker process runs many files, so the oclif Config, the dist/ module graph, the
      // native store module and the fabric builder's generated fabric are loaded once per worker, not once per file
      // (about half the tier's CPU). Two workers even on 2 cores: much of the tier waits on child processes.
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/live/**', 'test/scale/**'],
          isolate: false,
          maxWorkers: 2,
          // vitest runs projects with different maxWorkers in different groups: unit first, then the others
          sequence: {groupOrder: 0},
        },
      },
      // Several processes at once, the seed-profile fabric (43,600 ports) and 100K-port paging: big by
      // nature, so a longer bound per test (a loaded 2-core machine runs 8 processes at a fraction of their speed).
      {
        extends: true,
        test: {name: 'scale', include: ['test/scale/**/*.test.ts'], testTimeout: 300_000, sequence: {groupOrder: 1}},
      },
      // Live files share one lab (and run the CLI as real processes: runCli reads FABRICCTL_TEST_RUNNER) and some of them break and restore parts of it: one file at a time.
      {
        extends: true,
        test: {
          name: 'live',
          include: ['test/live/**/*.test.ts'],
          env: {FABRICCTL_NO_BUNDLE: '1', FABRICCTL_TEST_RUNNER: 'process'},
          fileParallelism: false,
          sequence: {groupOrder: 1},
          globalSetup: fs.existsSync(liveSetup) ? [liveSetup] : [],
        },
      },
    ],
  },
})
