import { describe, expectTypeOf, it } from 'vitest'
import type { AuthorizedKeyEntry, AuthorizedKeysDecision, KeyRefusal, KeyRestrictions, RejectedLineKind } from '@x/server'

describe('AuthorizedKeysDecision', () => {
  it('narrows on accepted: restrictions only when accepted, refusals only when not', () => {
    const d = {} as AuthorizedKeysDecision
    if (d.accepted) {
      expectTypeOf(d.restrictions).toEqualTypeOf<KeyRestrictions>()
      expectTypeOf(d.entry).toEqualTypeOf<AuthorizedKeyEntry>()
    } else {
      expectTypeOf(d.reason).toEqualTypeOf<'not-listed' | 'refused'>()
      expectTypeOf(d.refusals).toEqualTypeOf<readonly KeyRefusal[]>()
    }
  })

  it('names refusal reasons and rejected-line kinds as literal unions', () => {
    expectTypeOf<KeyRefusal['reason']>().toEqualTypeOf<'from' | 'from-invalid' | 'expired'>()
    expectTypeOf<RejectedLineKind>().toEqualTypeOf<'bad-options' | 'unknown-key-type' | 'unsupported-key-type' | 'bad-key'>()
  })

  it('hands out what the dispatch needs', () => {
    expectTypeOf<KeyRestrictions['forcedCommand']>().toEqualTypeOf<string | undefined>()
    expectTypeOf<KeyRestrictions['environment']>().toEqualTypeOf<ReadonlyMap<string, string>>()
    expectTypeOf<KeyRestrictions['allowOpen']>().parameters.toEqualTypeOf<[string, number]>()
  })
})
