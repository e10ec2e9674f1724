// The pure parts of the feed, table-driven: parsing (precedence, literals, positions in errors), which
// administrations a filter proves, the SQL translation (parameterised, exact), and the row encoders.
import type { Expression } from '../../server/src/odata/ast';
import { bind } from '../../server/src/odata/binder';
import { compileEncoder, decimalFormatter } from '../../server/src/odata/encoder';
import { ExpressionError } from '../../server/src/odata/lexer';
import { parseInstant, parseNumber } from '../../server/src/odata/literals';
import { mirrorSet } from '../../server/src/odata/model';
import { parseFilter, parseKeyPredicate, parseOrderBy, parseSelect } from '../../server/src/odata/parser';
import { administrationsInFilter } from '../../server/src/odata/scope';
import { predicate } from '../../server/src/odata/sql';
import { TRANSACTION_LINES } from './fixtures';

/** An expression as a compact S-expression, to compare shapes. */
function show(e: Expression): string {
  switch (e.kind) {
    case 'literal':
      return 'value' in e.literal ? JSON.stringify(e.literal.value) : 'text' in e.literal ? e.literal.text : 'null';
    case 'property':
      return e.path.join('/');
    case 'binary':
      return `(${e.operator} ${show(e.left)} ${show(e.right)})`;
    case 'not':
      return `(not ${show(e.operand)})`;
    case 'negate':
      return `(- ${show(e.operand)})`;
    case 'in':
      return `(in ${show(e.operand)} ${e.list.map(show).join(' ')})`;
    case 'call':
      return `(${e.name} ${e.args.map(show).join(' ')})`;
  }
}

describe('parsing $filter', () => {
  it.each([
    ['a eq 1 or b eq 2 and c eq 3', '(or (eq a 1) (and (eq b 2) (eq c 3)))'],
    ['(a eq 1 or b eq 2) and c eq 3', '(and (or (eq a 1) (eq b 2)) (eq c 3))'],
    ['a add b mul c sub d', '(sub (add a (mul b c)) d)'],
    ['a sub b sub c', '(sub (sub a b) c)'],
    ['not a eq b', '(eq (not a) b)'],
    ['not (a eq b)', '(not (eq a b))'],
    ['not(a eq b)', '(not (eq a b))'],
    ['not a in (1, 2)', '(not (in a 1 2))'],
    ['a add b in (1)', '(add a (in b 1))'],
    ['-a gt -5', '(gt (- a) -5)'],
    ['- 5 eq -INF', '(eq -5 -INF)'],
    ['x eq 1e3 and y eq -1.5E-2', '(and (eq x 1e3) (eq y -1.5E-2))'],
    ["s eq 'O''Neil'", `(eq s "O'Neil")`],
    ["s eq ''", '(eq s "")'],
    ['d eq 2024-02-29 and t lt 2024-01-01T10:00:00.123+01:00', '(and (eq d 2024-02-29) (lt t 2024-01-01T10:00:00.123+01:00))'],
    ['t lt 2024-01-01T10:00:00 01:00', '(lt t 2024-01-01T10:00:00 01:00)'],
    ['id eq deadbeef-0000-4000-a000-00000000abcd', '(eq id deadbeef-0000-4000-a000-00000000abcd)'],
    ['x eq null or b eq TRUE', '(or (eq x null) (eq b true))'],
    ["contains(tolower(Name), 'x') AND Length(Name) GT 3", '(and (contains (tolower Name) "x") (gt (length Name) 3))'],
    ["substring(Name,1,2) eq 'ab'", '(eq (substring Name 1 2) "ab")'],
    ['Division in (310101,310102)', '(in Division 310101 310102)'],
  ])('reads %s as %s', (text, tree) => {
    expect(show(parseFilter(text))).toBe(tree);
  });

  it.each([
    ["Name eq 'abc", 8, 'Unterminated string literal'],
    ['a eq', 4, 'Expected an expression'],
    ['a eq 1 b', 7, "found 'b'"],
    ['a eq (1', 7, "Expected ')'"],
    ['a in 1', 5, "Expected '('"],
    ['a eq 12L', 5, 'type suffixes'],
    ['a eq 2024-01-01T10', 5, 'Malformed Edm.DateTimeOffset'],
    ['', 0, 'empty'],
    ['f(a,)', 4, 'Expected an expression'],
    ['a eq #', 5, 'Unexpected character'],
  ])('refuses %j at position %i', (text, position, message) => {
    let error: unknown;
    try {
      parseFilter(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ExpressionError);
    expect((error as ExpressionError).position).toBe(position);
    expect((error as ExpressionError).message).toContain(message);
    expect((error as ExpressionError).unsupported).toBe(false);
  });

  it.each(["a has Ns.E'x'", 'a eq @p', 'Lines/any(l:l gt 1)', "d eq duration'P1D'", 'round(a) eq 1', 'a eq 10:30', '$it eq 1', 'a eq [1]'])('marks %s as valid OData the feed does not support', (text) => {
    expect(() => parseFilter(text)).toThrow(expect.objectContaining({ unsupported: true }));
  });

  it('refuses nesting deeper than its limit instead of overflowing', () => {
    expect(() => parseFilter('('.repeat(200) + 'true' + ')'.repeat(200))).toThrow(/nested too deeply/);
  });

  it('reads $orderby, key predicates and $select', () => {
    expect(parseOrderBy('Date desc, length(Name),Amount ASC').map((i) => [show(i.expression), i.descending])).toEqual([
      ['Date', true],
      ['(length Name)', false],
      ['Amount', false],
    ]);
    const key = parseKeyPredicate('Division=310101,ID=01234567-89ab-cdef-0123-456789abcdef');
    expect(key.kind === 'named' && key.values.map((v) => [v.name, show(v.value)])).toEqual([
      ['Division', '310101'],
      ['ID', '01234567-89ab-cdef-0123-456789abcdef'],
    ]);
    expect(parseKeyPredicate("'NLA310101'")).toMatchObject({ kind: 'single' });
    expect(parseSelect('Name, Amount,*')).toEqual({ all: true, items: [{ name: 'Name', position: 0 }, { name: 'Amount', position: 6 }] });
  });
});

describe('literals', () => {
  it.each([
    ['12.50', { units: 125n, scale: 1 }],
    ['-0.010', { units: -1n, scale: 2 }],
    ['1e3', { units: 1000n, scale: 0 }],
    ['1.5E-2', { units: 15n, scale: 3 }],
    ['87654321098765432.19', { units: 8765432109876543219n, scale: 2 }],
  ])('reads the number %s exactly', (text, value) => {
    expect(parseNumber(text, 0)).toEqual(value);
  });

  it.each([
    ['2024-01-01T00:00:00Z', 1704067200000n, 0, true],
    ['2024-01-01T01:00:00+01:00', 1704067200000n, 0, false],
    ['2023-12-31T19:00:00-05:00', 1704067200000n, 0, false],
    ['2024-01-01T00:00:00.5Z', 1704067200500n, 0, true],
    ['2024-01-01T00:00:00.1234Z', 17040672001234n, 1, true],
    ['0099-01-01T00:00Z', BigInt(Date.parse('0099-01-01T00:00:00Z')), 0, true], // not 1999
  ])('reads the instant %s as exact milliseconds', (text, units, scale, utc) => {
    expect(parseInstant(text, 0)).toEqual({ ms: { units, scale }, utc });
  });
});

describe('which administrations a filter proves', () => {
  const scope = (text: string) => {
    const s = administrationsInFilter(parseFilter(text), 'Division');
    return s.all ? 'all' : [...s.codes].sort();
  };
  it.each([
    ['Division eq 310101', ['310101']],
    ['Division eq 310101.0', ['310101']],
    ['Division eq 3.10102e5', ['310102']],
    ['Division eq 310101.5', []],
    ['Division eq null', []],
    ['Division in (1, 2, null)', ['1', '2']],
    ['Division eq 1 or Division eq 2 or Division in (3)', ['1', '2', '3']],
    ['(Division eq 1 or Division eq 2) and (Division eq 2 or Division eq 3)', ['2']],
    ['Division eq 1 and Amount gt 5', ['1']],
    ['Amount gt 5 and (Division eq 1 or Division eq 4)', ['1', '4']],
    ['Division eq 1 or Amount gt 5', 'all'],
    ['Division ne 1', 'all'],
    ['not (Division eq 1)', 'all'],
    ['Division gt 1', 'all'],
    ['Division eq Division', 'all'],
    ['Office eq 1', 'all'],
  ])('%s → %j', (text, expected) => {
    expect(scope(text)).toEqual(expected);
  });

  it('reads Office codes as written', () => {
    const s = administrationsInFilter(parseFilter("Office in ('NLA310101', 'nla310102')"), 'Office');
    expect(s.all ? 'all' : [...s.codes]).toEqual(['NLA310101', 'nla310102']);
  });
});

describe('translation to SQL', () => {
  const set = mirrorSet(TRANSACTION_LINES);
  const translate = (text: string) => predicate(bind(parseFilter(text), set));

  it.each([
    ['AmountDC gt 1.005', '("AmountDC" > ?)', [100n]],
    ['AmountDC lt 1.005', '("AmountDC" <= ?)', [100n]],
    ['AmountDC eq 1.005', '0', []],
    ['AmountDC eq 12.5', '("AmountDC" = ?)', [1250n]],
    ['AmountFC ge 0.00001', '("AmountFC" > ?)', [0n]],
    ['Modified ge 2024-01-01T00:00:00Z', '("Modified" >= ?)', [1704067200000n]],
    ['Description eq null', '("Description" IS NULL)', []],
    ['AmountFC eq AmountDC', '("AmountFC" IS ("AmountDC" * 100))', []],
    ['not (AmountFC gt 0)', '(NOT coalesce("AmountFC" > ?, 0))', [0n]],
    ['Division in (310101, 310102)', '("Division" IN (?, ?))', [310101n, 310102n]],
    ["Description eq 'x'' OR 1=1 --'", '("Description" IS ?)', ["x' OR 1=1 --"]],
  ])('%s → %s', (text, sqlText, params) => {
    expect(translate(text)).toEqual({ text: sqlText, params });
  });

  it('puts every value from the request in a parameter, never in the SQL text', () => {
    const hostile = "Robert'); DROP TABLE workspaces; --";
    const sql = translate(`contains(Description, '${hostile.replace(/'/g, "''")}') or startswith(GLAccountCode, '${hostile.replace(/'/g, "''")}')`);
    expect(sql.text).not.toContain('DROP');
    expect(sql.params).toContain(hostile);
  });

  it('balances long or-chains so SQLite never nests thousands deep', () => {
    const chain = Array.from({ length: 1024 }, (_, i) => `Division eq ${i}`).join(' or ');
    const text = translate(chain).text;
    let depth = 0;
    let deepest = 0;
    for (const c of text) {
      if (c === '(') deepest = Math.max(deepest, ++depth);
      if (c === ')') depth--;
    }
    expect(deepest).toBeLessThanOrEqual(12);
  });
});

describe('row encoders', () => {
  it.each([
    [2, 0, '0.00'],
    [2, -1, '-0.01'],
    [2, 1250, '12.50'],
    [2, -12150, '-121.50'],
    [4, 1, '0.0001'],
    [0, -42, '-42'],
    [2, 9007199254740991, '90071992547409.91'],
    [2, '8765432109876543219', '87654321098765432.19'],
    [3, '-8765432109876543219', '-8765432109876543.219'],
  ])('writes the scale-%i decimal %p as %s', (scale, stored, text) => {
    expect(decimalFormatter(scale)(stored)).toBe(text);
  });

  it('encodes every Edm type of a row into JSON that parses back to the values', () => {
    const set = mirrorSet(TRANSACTION_LINES);
    const row = [310101, '01234567-89ab-cdef-0123-456789abcdef', 7, null, '2024-02-29', 1704067200123, 1250, null, '9007199254740993', 1, 'Tab\t"quoted" \u2028 💶', '1300', 0.1];
    const encoded = compileEncoder(set.properties, true)(row);
    expect(JSON.parse(encoded)).toEqual({
      Division: 310101,
      ID: '01234567-89ab-cdef-0123-456789abcdef',
      EntryNumber: 7,
      LineNumber: null,
      Date: '2024-02-29',
      Modified: '2024-01-01T00:00:00.123Z',
      AmountDC: '12.50',
      AmountFC: null,
      Timestamp: '9007199254740993',
      IsReversal: true,
      Description: 'Tab\t"quoted" \u2028 💶',
      GLAccountCode: '1300',
      Quantity: 0.1,
    });
    expect(compileEncoder(set.properties, false)(row)).toContain('"AmountDC":12.50,"AmountFC":null,"Timestamp":9007199254740993,');
  });
});
