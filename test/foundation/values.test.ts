import { decimalToScaled, scaledToDecimalText, storedToJson, toStored } from '../../server/src/tables/values';
import type { ColumnDescription } from '../../server/src/tables/description';

const col = (type: ColumnDescription['type'], scale?: number): ColumnDescription => ({ name: 'C', type, description: 'c', scale });

describe('decimal scaling', () => {
  it.each([
    ['121.5', 2, 12150],
    ['-121.00', 2, -12100],
    [0.1, 2, 10],
    [1.005, 2, 101],
    ['0.005', 2, 1],
    ['-0.005', 2, -1],
    ['0.0049', 2, 0],
    ['1e3', 2, 100000],
    ['1.5E-1', 2, 15],
    ['.5', 2, 50],
    ['12', 0, 12],
    ['12.5', 0, 13],
    ['123.456789', 4, 1234568],
  ] as const)('scales %p at %p digits to %p', (input, scale, expected) => {
    expect(decimalToScaled(input, scale)).toBe(expected);
  });

  it('keeps big values exact as bigint', () => {
    expect(decimalToScaled('123456789012345678.91', 2)).toBe(12345678901234567891n);
    expect(scaledToDecimalText(12345678901234567891n, 2)).toBe('123456789012345678.91');
  });

  it('writes scaled integers back as exact decimal text', () => {
    expect(scaledToDecimalText(-12150, 2)).toBe('-121.50');
    expect(scaledToDecimalText(5, 2)).toBe('0.05');
    expect(scaledToDecimalText(-5, 2)).toBe('-0.05');
    expect(scaledToDecimalText(7, 0)).toBe('7');
  });

  it('rejects text that is not a decimal', () => {
    expect(() => decimalToScaled('12,50', 2)).toThrow(/not a decimal/);
    expect(() => decimalToScaled('', 2)).toThrow(/not a decimal/);
    expect(() => decimalToScaled(Number.NaN, 2)).toThrow(/not a finite number/);
  });
});

describe('mirror encoding', () => {
  it('stores each Edm type in its documented form', () => {
    expect(toStored(col('Edm.Guid'), 'ABCDEF00-0000-4000-8000-000000000001')).toBe('abcdef00-0000-4000-8000-000000000001');
    expect(toStored(col('Edm.Boolean'), true)).toBe(1);
    expect(toStored(col('Edm.Int64'), '9007199254740993')).toBe(9007199254740993n);
    expect(toStored(col('Edm.Int64'), 42)).toBe(42);
    expect(toStored(col('Edm.Date'), '2025-03-01T00:00:00')).toBe('2025-03-01');
    expect(toStored(col('Edm.DateTimeOffset'), '2025-03-01T10:00:00Z')).toBe(Date.UTC(2025, 2, 1, 10));
    expect(toStored(col('Edm.Decimal'), -121.5)).toBe(-12150);
    expect(toStored(col('Edm.String'), null)).toBeNull();
  });

  it('refuses values of the wrong type instead of storing garbage', () => {
    expect(() => toStored(col('Edm.Int32'), '12x')).toThrow(/not an integer/);
    expect(() => toStored(col('Edm.Date'), '2025-02-30')).toThrow(/not a date/);
    expect(() => toStored(col('Edm.Guid'), 'nope')).toThrow(/not a GUID/);
    expect(() => toStored(col('Edm.Boolean'), 'yes')).toThrow(/not a boolean/);
  });

  it('refuses an object or array where one value is due, and numbers or date-times only loosely alike', () => {
    expect(() => toStored(col('Edm.String'), { a: 1 })).toThrow(/not a single value: \{"a":1\}/);
    expect(() => toStored(col('Edm.String'), ['a', 'b'])).toThrow(/not a single value/);
    expect(() => toStored(col('Edm.Double'), [5])).toThrow(/not a single value/);
    expect(() => toStored(col('Edm.Double'), true)).toThrow(/not a number/);
    expect(() => toStored(col('Edm.Double'), '0x10')).toThrow(/not a number/);
    expect(() => toStored(col('Edm.DateTimeOffset'), '12')).toThrow(/not a date-time/);
    expect(() => toStored(col('Edm.DateTimeOffset'), [2024])).toThrow(/not a single value/);
    expect(toStored(col('Edm.String'), 42)).toBe('42');
    expect(toStored(col('Edm.Double'), ' 1.5e3 ')).toBe(1500);
    expect(toStored(col('Edm.DateTimeOffset'), new Date(Date.UTC(2025, 0, 1)))).toBe(Date.UTC(2025, 0, 1));
  });

  it('serializes DateTimeOffset with Z and decimals exactly', () => {
    expect(storedToJson(col('Edm.DateTimeOffset'), Date.UTC(2025, 0, 2, 3, 4, 5))).toBe('2025-01-02T03:04:05.000Z');
    expect(storedToJson(col('Edm.Decimal'), -12150)).toBe(-121.5);
    expect(storedToJson(col('Edm.Decimal'), -12150, true)).toBe('-121.50');
    expect(storedToJson(col('Edm.Decimal'), 12345678901234567891n)).toBe('123456789012345678.91');
    expect(storedToJson(col('Edm.Int64'), 9007199254740993n)).toBe('9007199254740993');
    expect(storedToJson(col('Edm.Boolean'), 0)).toBe(false);
  });
});
