import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url))

// Tests read the packages' sources directly: no build step before `vitest run`.
export default defineConfig({
  resolve: {
    alias: {
      '@x/transport': src('transport'),
      '@x/gateway': src('gateway'),
      '@x/ssh-config': src('ssh-config'),
      '@x/connection': src('connection'),
      '@x/server': src('server'),
      '@x/router': src('router'),
      // Before '@x/testbed', which would otherwise take this subpath as a path under its index.ts.
      '@x/testbed/client-scenarios': fileURLToPath(new URL('./packages/testbed/src/client-scenarios.ts', import.meta.url)),
      '@x/testbed': src('testbed'),
    },
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'examples/**/*.test.ts', 'faults/**/*.test.ts', 'bench/**/*.test.ts', 'release/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Every test file asserts its own hygiene (fds, children, warnings); see @x/testbed.
    setupFiles: ['packages/testbed/src/setup-hygiene.ts'],
    // Type tests (*.test-d.ts, expectTypeOf) are checked by tsc, never run.
    typecheck: { enabled: true, include: ['packages/*/test/**/*.test-d.ts'], tsconfig: './tsconfig.typecheck.json' },
    globalSetup: ['packages/testbed/src/global-setup.ts'],
  },
})
