import { unstorableText } from './validation';

describe('unstorableText', () => {
  it('finds lone surrogates and NUL in values and field names, at any depth', () => {
    expect(unstorableText({ description: 'x\ud800' })).toEqual({ field: 'description', message: 'description contains a lone UTF-16 surrogate (half a character)' });
    expect(unstorableText({ payer: { name: '\udc00x' } })?.field).toBe('payer.name');
    expect(unstorableText({ metadata: { 'a\u0000': 'v' } })).toEqual({ field: 'metadata', message: 'a field name contains a NUL character' });
    expect(unstorableText({ list: ['ok', 'bad\u0000'] })?.field).toBe('list.1');
    expect(unstorableText('\ud83d')).not.toBeNull();
  });

  it('accepts whole characters, surrogate pairs included', () => {
    expect(unstorableText({ description: 'café 😀 ✓', metadata: { k: '𝄞' }, amount: 1000, payer: null })).toBeNull();
  });
});
