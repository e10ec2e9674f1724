import { createDemoBooks } from '../../server/src/sandbox/demo/ledger';

describe('demo books', () => {
  const books = createDemoBooks({ seed: 'spec', rowsPerAdministration: 3001 });

  it('has eight administrations with exactly the requested number of lines each', () => {
    expect(books).toHaveLength(8);
    for (const b of books) expect(b.lineCount()).toBe(3001);
    expect(new Set(books.map((b) => b.info.division)).size).toBe(8);
    expect(new Set(books.map((b) => b.info.office)).size).toBe(8);
  });

  it('balances every entry to zero and the balances to zero overall', () => {
    for (const b of books) {
      for (const e of b.entries.values()) expect(e.lines.reduce((s, l) => s + l.amount, 0)).toBe(0);
      expect(b.balances().reduce((s, r) => s + r.amount, 0)).toBe(0);
    }
  });

  it('gives the same rows for the same seed and different rows for another', () => {
    const again = createDemoBooks({ seed: 'spec', rowsPerAdministration: 3001 });
    const other = createDemoBooks({ seed: 'other', rowsPerAdministration: 3001 });
    const fingerprint = (b: (typeof books)[number]) => JSON.stringify([...b.lines()].map((l) => [l.id, l.amount, l.glAccount, l.timestamp]));
    expect(fingerprint(again[3])).toBe(fingerprint(books[3]));
    expect(fingerprint(other[3])).not.toBe(fingerprint(books[3]));
  });

  it('numbers entries in date order per journal and spans two book years', () => {
    const b = books[0];
    const years = new Set([...b.entries.values()].map((e) => e.year));
    expect([...years].sort()).toEqual([2025, 2026]);
    const sales = [...b.entries.values()].filter((e) => e.journal === 'VRK' && e.year === 2025);
    for (let i = 1; i < sales.length; i++) {
      expect(sales[i].number).toBeGreaterThan(sales[i - 1].number);
      expect(sales[i].date >= sales[i - 1].date).toBe(true);
    }
  });

  it('applies simulated changes that keep the books balanced and log deletions with new row versions', () => {
    const [b] = createDemoBooks({ seed: 'spec', rowsPerAdministration: 500, administrations: 1 });
    const before = Math.max(...[...b.lines()].map((l) => l.timestamp));
    const now = Date.UTC(2026, 11, 1);
    const change = b.simulate({ insert: 4, update: 3, delete: 2 }, now);
    expect(change.inserted.entries).toHaveLength(4);
    expect(change.updated.entries).toHaveLength(3);
    expect(change.deleted.entries).toHaveLength(2);
    for (const e of b.entries.values()) expect(e.lines.reduce((s, l) => s + l.amount, 0)).toBe(0);
    const updated = [...b.lines()].filter((l) => change.updated.lines.includes(l.id));
    for (const l of updated) {
      expect(l.timestamp).toBeGreaterThan(before);
      expect(l.modified).toBe(now);
    }
    expect(b.deletions.map((d) => d.entryId)).toEqual(change.deleted.entries);
    expect(b.deletions.every((d) => d.timestamp > before)).toBe(true);
    for (const id of change.deleted.lines) expect([...b.lines()].some((l) => l.id === id)).toBe(false);
  });
});
