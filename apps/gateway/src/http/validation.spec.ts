import { getMetadataStorage, IsInt, IsString } from 'class-validator';
import { ApiError } from '@app/common';
import { CreatePaymentDto } from '../payments/dto/create-payment.dto';
import { createValidationPipe, unstorableText } from './validation';

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

describe('memoizeValidationMetadata', () => {
  const pipe = createValidationPipe(); // memoizes
  const body = (value: unknown) => pipe.transform(value, { type: 'body', metatype: CreatePaymentDto });
  const problems = async (value: unknown) => {
    try {
      await body(value);
    } catch (error) {
      return (error as ApiError).details;
    }
    return null;
  };

  it('keeps one lookup per class and options', () => {
    const storage = getMetadataStorage();
    const first = storage.getTargetValidationMetadatas(CreatePaymentDto, '', false, false);
    expect(first.length).toBeGreaterThan(0);
    expect(storage.getTargetValidationMetadatas(CreatePaymentDto, '', false, false)).toBe(first);
    expect(storage.groupByPropertyName(first)).toBe(storage.groupByPropertyName(first));
  });

  it('validates as before: nested rules, unknown fields, and a valid body', async () => {
    const valid = { amount: 100, currency: 'USD', description: 'd', payer: { name: 'A', email: 'a@example.com' } };
    await expect(body(valid)).resolves.toBeInstanceOf(CreatePaymentDto);
    expect(await problems({ ...valid, payer: { name: 'A', email: 'not an email' } })).toEqual([expect.objectContaining({ field: 'payer.email' })]);
    expect(await problems({ ...valid, extra: 1 })).toEqual([{ field: 'extra', message: 'extra is not a known field' }]);
    expect(await problems({ ...valid, amount: 'ten' })).toEqual([expect.objectContaining({ field: 'amount' })]);
  });

  it('forgets what it kept when a rule is registered later, also for a class already validated', async () => {
    class Late {
      @IsString()
      name!: string;
      declare count: unknown; // no own property: until it has a rule, `count` is an unknown field
    }
    const later = (value: unknown) => pipe.transform(value, { type: 'body', metatype: Late });
    await expect(later({ name: 'n' })).resolves.toBeInstanceOf(Late);
    await expect(later({ name: 'n', count: 3 })).rejects.toMatchObject({ details: [{ field: 'count', message: 'count is not a known field' }] });
    IsInt()(Late.prototype, 'count');
    await expect(later({ name: 'n', count: 'x' })).rejects.toMatchObject({ details: [expect.objectContaining({ field: 'count' })] });
    await expect(later({ name: 'n', count: 3 })).resolves.toMatchObject({ count: 3 });
  });
});
