// The simulator's OData v2 $filter: which expressions Exact accepts, how they evaluate, and which it refuses.
import { InvalidQuery } from '../../../server/src/errors';
import { compileFilter, type EdmType, type Row } from '../../../server/src/sandbox/exactonline/filter';

const TYPES: Record<string, EdmType> = {
  ID: 'Guid', Code: 'String', Name: 'String', Amount: 'Double', Year: 'Int16', Number: 'Int32', Timestamp: 'Int64', Date: 'DateTime', Blocked: 'Boolean', Note: 'String',
};
const row: Row = {
  ID: '0f1811bc-f582-54bc-8f99-678a6c965736', Code: '              1004', Name: 'Nijhuis Zorg B.V.', Amount: 125.5, Year: 2025, Number: 42,
  Timestamp: 9_000_000_001, Date: Date.UTC(2025, 2, 15), Blocked: false, Note: null,
};
const matches = (text: string, r: Row = row) => compileFilter(text, (n) => TYPES[n], 'Test.Row').matches(r);
const error = (text: string) => {
  try {
    compileFilter(text, (n) => TYPES[n], 'Test.Row');
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidQuery);
    return (e as Error).message;
  }
  throw new Error(`'${text}' was accepted`);
};

describe('$filter evaluation', () => {
  it.each([
    ["ID eq guid'0F1811BC-F582-54BC-8F99-678A6C965736'", true],
    ["ID ne guid'0f1811bc-f582-54bc-8f99-678a6c965736'", false],
    ['Timestamp gt 9000000000L', true],
    ['Timestamp gt 9000000001L', false],
    ['Timestamp ge 9000000001L', true],
    ['Number eq 42 and Year eq 2025', true],
    ['Number eq 41 or Year eq 2025', true],
    ['not (Number eq 42)', false],
    ['not Number eq 41', true],
    ['(Number eq 1 or Number eq 42) and Amount lt 200', true],
    ['Amount gt 125.49 and Amount le 125.5', true],
    ["Date ge datetime'2025-03-15' and Date lt datetime'2025-03-15T00:00:01'", true],
    ["Date gt datetime'2025-03-15T00:00'", false],
    ["Name eq 'nijhuis zorg b.v.'", true],
    ["Name eq 'Nijhuis Zorg B.V.   '", true],
    ["Code eq '1004'", false],
    ["trim(Code) eq '1004'", true],
    ["substringof('zorg', Name)", true],
    ["substringof('zorg', Name) eq false", false],
    ["startswith(Name, 'NIJ')", true],
    ["endswith(Name, 'b.v.')", true],
    ['Blocked eq false', true],
    ['not Blocked', true],
    ['Note eq null', true],
    ["Note ne 'x'", true],
    ["Note gt 'a'", false],
    ['year(Date) eq 2025 and month(Date) eq 3 and day(Date) eq 15', true],
    ["tolower(Name) eq 'nijhuis zorg b.v.' and length(Name) eq 17", true],
    ['Amount mul 2 eq 251', true],
    ['-Number lt 0', true],
    ["Name eq 'O''Brien'", false],
  ])('%s → %s', (text, expected) => {
    expect(matches(text)).toBe(expected);
  });

  it("reads a doubled quote inside a string literal as one quote", () => {
    expect(matches("Name eq 'O''Brien'", { ...row, Name: "O'Brien" })).toBe(true);
  });

  it('reports the properties a filter reads and recognises a Timestamp lower bound', () => {
    const f = compileFilter('Timestamp gt 123L', (n) => TYPES[n], 'Test.Row');
    expect([...f.properties]).toEqual(['Timestamp']);
    expect(f.lowerBound).toEqual({ property: 'Timestamp', value: 123, inclusive: false });
    expect(compileFilter('Timestamp gt 1 and Number eq 2', (n) => TYPES[n], 'Test.Row').lowerBound).toBeUndefined();
  });
});

describe('$filter refusals', () => {
  it.each([
    ["ID eq '0f1811bc-f582-54bc-8f99-678a6c965736'", /incompatible with operand types 'Edm.Guid' and 'Edm.String'/],
    ["Date gt '2025-01-01'", /incompatible with operand types 'Edm.DateTime' and 'Edm.String'/],
    ["Name eq 42", /incompatible with operand types 'Edm.String' and 'Edm.Int32'/],
    ['Missing eq 1', /No property 'Missing' exists in type 'Test.Row'/],
    ["ID eq guid'not-a-guid'", /Unrecognized 'Edm.Guid' literal/],
    ["Date eq datetime'2025-02-30'", /Unrecognized 'Edm.DateTime' literal/],
    ["Name eq 'open", /unterminated string literal/],
    ['Number eq', /Expression expected/],
    ['(Number eq 1', /'\)' or operator expected/],
    ['Number', /expected to be of type 'Edm.Boolean'/],
    ['Number Eq 1', /Syntax error/],
    ["frobnicate(Name)", /Unknown function 'frobnicate'/],
    ["substringof(Name)", /No function signature for the function with name 'substringof'/],
    ['Account/Name eq 1', /Navigation properties are not supported/],
    ['', /Expression expected/],
  ])('%s', (text, message) => {
    expect(error(text)).toMatch(message);
  });
});
