import { checkJsonLimits, MAX_JSON_DEPTH, MAX_JSON_STRING_CHARS } from './json-limits';

describe('checkJsonLimits', () => {
  const nested = (levels: number) => '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);

  it('accepts nesting up to the limit and refuses one level more', () => {
    expect(checkJsonLimits(nested(MAX_JSON_DEPTH))).toBeNull();
    expect(checkJsonLimits(nested(MAX_JSON_DEPTH + 1))).toMatchObject({ code: 'json_too_deep' });
    expect(checkJsonLimits('['.repeat(MAX_JSON_DEPTH + 1))).toMatchObject({ code: 'json_too_deep' });
  });

  it('counts depth, not brackets: siblings do not add up', () => {
    expect(checkJsonLimits(`[${'[[]],'.repeat(1000)}[]]`)).toBeNull();
  });

  it('ignores brackets and escaped quotes inside strings', () => {
    expect(checkJsonLimits(JSON.stringify({ a: '{['.repeat(100), b: '\\"{{{{' }))).toBeNull();
  });

  it('refuses a string or field name longer than the limit as written', () => {
    expect(checkJsonLimits(JSON.stringify({ a: 'x'.repeat(MAX_JSON_STRING_CHARS) }))).toBeNull();
    expect(checkJsonLimits(JSON.stringify({ a: 'x'.repeat(MAX_JSON_STRING_CHARS + 1) }))).toMatchObject({ code: 'json_string_too_long' });
    expect(checkJsonLimits(JSON.stringify({ ['k'.repeat(MAX_JSON_STRING_CHARS + 1)]: 1 }))).toMatchObject({ code: 'json_string_too_long' });
    expect(checkJsonLimits(`"${'x'.repeat(MAX_JSON_STRING_CHARS + 1)}`)).toMatchObject({ code: 'json_string_too_long' }); // never closed
  });

  it('does not judge syntax: JSON.parse still does', () => {
    expect(checkJsonLimits('{"amount": 1,')).toBeNull();
    expect(checkJsonLimits(']]]]')).toBeNull();
  });
});
