import {
  assertMinorAmount,
  currencyExponent,
  isKnownCurrency,
  majorNumberToMinor,
  majorStringToMinor,
  minorToMajorNumber,
  minorToMajorString,
  MoneyError,
} from '@app/payments';

describe('currency exponents', () => {
  it('knows USD 2, JPY 0, KWD 3 and refuses unknown or lower-case codes', () => {
    expect(currencyExponent('USD')).toBe(2);
    expect(currencyExponent('JPY')).toBe(0);
    expect(currencyExponent('KWD')).toBe(3);
    expect(() => currencyExponent('XXX')).toThrow(MoneyError);
    expect(isKnownCurrency('usd')).toBe(false);
    expect(isKnownCurrency(42)).toBe(false);
    expect(isKnownCurrency('NGN')).toBe(true);
  });
});

describe('minor → major', () => {
  it.each([
    [0, 'USD', '0.00', 0],
    [1, 'USD', '0.01', 0.01],
    [1999, 'USD', '19.99', 19.99],
    [12399, 'USD', '123.99', 123.99],
    [12390, 'USD', '123.90', 123.9],
    [30, 'USD', '0.30', 0.3],
    [-5, 'USD', '-0.05', -0.05],
    [5, 'JPY', '5', 5],
    [1234, 'KWD', '1.234', 1.234],
    [1, 'KWD', '0.001', 0.001],
  ])('%d %s → "%s" / %d', (minor, currency, text, number) => {
    expect(minorToMajorString(minor, currency)).toBe(text);
    expect(minorToMajorNumber(minor, currency)).toBe(number);
  });

  it('refuses non-integers, NaN, strings and amounts past 2^53', () => {
    expect(() => minorToMajorString(1.5, 'USD')).toThrow(MoneyError);
    expect(() => minorToMajorString(Number.NaN, 'USD')).toThrow(MoneyError);
    expect(() => minorToMajorString('100' as unknown as number, 'USD')).toThrow(MoneyError);
    expect(() => minorToMajorString(2 ** 53, 'USD')).toThrow(MoneyError);
    expect(() => minorToMajorNumber(-(2 ** 53), 'USD')).toThrow(MoneyError);
    expect(minorToMajorString(Number.MAX_SAFE_INTEGER, 'JPY')).toBe('9007199254740991');
  });

  it('refuses to send a number with more than 15 significant digits (a double cannot carry it exactly)', () => {
    expect(() => minorToMajorNumber(Number.MAX_SAFE_INTEGER, 'USD')).toThrow(/significant digits/);
    expect(minorToMajorNumber(999_999_999_999_999, 'USD')).toBe(9_999_999_999_999.99);
  });

  it('refuses an unknown currency', () => {
    expect(() => minorToMajorString(100, 'ABC')).toThrow(MoneyError);
  });

  it('assertMinorAmount accepts safe integers only', () => {
    expect(() => assertMinorAmount(0)).not.toThrow();
    expect(() => assertMinorAmount(-1)).not.toThrow();
    expect(() => assertMinorAmount(0.5)).toThrow(MoneyError);
    expect(() => assertMinorAmount(Infinity)).toThrow(MoneyError);
    expect(() => assertMinorAmount(null)).toThrow(MoneyError);
  });
});

describe('major → minor', () => {
  it.each([
    ['0', 'USD', 0],
    ['0.01', 'USD', 1],
    ['19.99', 'USD', 1999],
    ['123.90', 'USD', 12390],
    ['123.9', 'USD', 12390],
    ['123.900000', 'USD', 12390],
    ['007.50', 'USD', 750],
    ['-0.05', 'USD', -5],
    ['-0.00', 'USD', 0],
    [' 5 ', 'USD', 500],
    ['5', 'JPY', 5],
    ['1.0', 'JPY', 1],
    ['1.234', 'KWD', 1234],
    ['90071992547409.91', 'USD', Number.MAX_SAFE_INTEGER],
  ])('"%s" %s → %d', (text, currency, minor) => {
    expect(Object.is(majorStringToMinor(text, currency), minor)).toBe(true);
  });

  it.each([
    ['1.5', 'JPY'],
    ['0.001', 'USD'],
    ['1.2345', 'KWD'],
    ['', 'USD'],
    ['abc', 'USD'],
    ['1,00', 'USD'],
    ['1e3', 'USD'],
    ['.5', 'USD'],
    ['5.', 'USD'],
    ['+5', 'USD'],
    ['--5', 'USD'],
    ['90071992547409.92', 'USD'],
    ['9007199254740993', 'JPY'],
  ])('refuses "%s" %s', (text, currency) => {
    expect(() => majorStringToMinor(text, currency)).toThrow(MoneyError);
  });

  it('reads JSON numbers exactly', () => {
    expect(majorNumberToMinor(19.99, 'USD')).toBe(1999);
    expect(majorNumberToMinor(123.99, 'USD')).toBe(12399);
    expect(majorNumberToMinor(1.005, 'KWD')).toBe(1005);
    expect(majorNumberToMinor(0.3, 'USD')).toBe(30);
    expect(majorNumberToMinor(-0, 'USD')).toBe(0);
    expect(majorNumberToMinor(1080000, 'JPY')).toBe(1080000);
  });

  it('refuses 0.1 + 0.2 as a USD amount, while 30 minor units still go out as 0.3', () => {
    const sum = 0.1 + 0.2;
    expect(sum).toBe(0.30000000000000004);
    expect(() => majorNumberToMinor(sum, 'USD')).toThrow(MoneyError);
    expect(minorToMajorNumber(30, 'USD')).toBe(0.3);
    expect(majorNumberToMinor(minorToMajorNumber(30, 'USD'), 'USD')).toBe(30);
  });

  it('refuses a fractional JPY number, exponent notation, NaN, Infinity and non-numbers', () => {
    expect(() => majorNumberToMinor(1.5, 'JPY')).toThrow(MoneyError);
    expect(() => majorNumberToMinor(1e21, 'USD')).toThrow(MoneyError);
    expect(() => majorNumberToMinor(1e-7, 'USD')).toThrow(MoneyError);
    expect(() => majorNumberToMinor(Number.NaN, 'USD')).toThrow(MoneyError);
    expect(() => majorNumberToMinor(Infinity, 'USD')).toThrow(MoneyError);
    expect(() => majorNumberToMinor(null, 'USD')).toThrow(MoneyError);
    expect(() => majorNumberToMinor(true, 'USD')).toThrow(MoneyError);
    expect(() => majorNumberToMinor({}, 'USD')).toThrow(MoneyError);
  });

  it('accepts decimal strings where a provider sends them, with the same rules', () => {
    expect(majorNumberToMinor('123.90', 'USD')).toBe(12390);
    expect(() => majorNumberToMinor('1.5', 'JPY')).toThrow(MoneyError);
  });

  it('refuses a number past 2^53 minor units', () => {
    expect(() => majorNumberToMinor(2 ** 53, 'JPY')).toThrow(MoneyError);
    expect(() => majorNumberToMinor(90071992547409.92, 'USD')).toThrow(MoneyError);
  });

  it('round-trips every cent from 0.00 to 20.00 exactly', () => {
    for (let minor = 0; minor <= 2000; minor += 1) {
      expect(majorNumberToMinor(minorToMajorNumber(minor, 'USD'), 'USD')).toBe(minor);
    }
  });
});
