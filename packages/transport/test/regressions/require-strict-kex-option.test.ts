// Regression: `requireStrictKex` was read as `=== true`, so 'true' or 1 (a value from a config
// file or environment variable) silently left the Terrapin countermeasure off. Only a boolean
// is accepted now; anything else is a TypeError at construction, before any network traffic.
import { Transport, insecureAcceptAnyHostKey } from '@x/transport'
import { expect, it } from 'vitest'

it.each(['true', 1, 'yes', null, {}])('rejects requireStrictKex: %j with a TypeError', (value) => {
  expect(() => new Transport('127.0.0.1:22', { hostKeyVerifier: insecureAcceptAnyHostKey(), requireStrictKex: value as never })).toThrow(TypeError)
})

it.each([true, false, undefined])('accepts requireStrictKex: %j', (value) => {
  expect(() => new Transport('127.0.0.1:22', { hostKeyVerifier: insecureAcceptAnyHostKey(), requireStrictKex: value })).not.toThrow()
})
