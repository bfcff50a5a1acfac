import { CustomerTableBuilder } from '../../src/activities/customer-table';

// The off-heap table a worker keeps the store's customer list in: every customer must come back
// exactly as it went in, whatever its characters, and an ID it does not hold must not match.

const names = (firstName: string, lastName: string, email: string) => ({ firstName, lastName, email });

describe('CustomerTable', () => {
  it('gives back each customer exactly, in any order added, past several growths', () => {
    const builder = new CustomerTableBuilder();
    // IDs newest first, as EDD lists them, with gaps; enough to grow the index and the data.
    const ids = Array.from({ length: 5_000 }, (_, i) => 20_000 - i * 3);
    for (const id of ids) builder.add(id, names(`First${id}`, `Last ${id}`, `c${id}@example.com`));
    const table = builder.build();
    expect(table.size).toBe(5_000);
    for (const id of [ids[0]!, ids[1]!, ids[2_500]!, ids[4_999]!]) {
      expect(table.get(id)).toEqual(names(`First${id}`, `Last ${id}`, `c${id}@example.com`));
    }
    // IDs between, below and above the ones held.
    for (const id of [ids[0]! + 1, ids[0]! - 1, ids[4_999]! - 3, 0, -1, 1e12])
      expect(table.get(id)).toBeUndefined();
  });

  it('keeps every character: accents, CJK, emoji, empty values, and values UTF-8 cannot hold', () => {
    const builder = new CustomerTableBuilder();
    const cases = [
      names('Zoë', 'Ñúñez-Ólafsdóttir', 'zoe@example.com'),
      names('美咲', '佐藤', 'misaki@example.jp'),
      names('Ana 🎸', "O'Brien", 'ana+tag@example.com'),
      names('', '', ''),
      // A NUL (the separator inside the table) and a lone surrogate: kept aside, unchanged, so
      // validation still sees them and reports the name.
      names('Nul\u0000name', 'x', 'nul@example.com'),
      names('Half\ud800', 'x', 'half@example.com'),
      names('Pair\ud83c\udfb8', 'x', 'pair@example.com'),
    ];
    cases.forEach((c, i) => builder.add(i + 1, c));
    const table = builder.build();
    expect(table.size).toBe(cases.length);
    cases.forEach((c, i) => expect(table.get(i + 1)).toEqual(c));
  });

  it('keeps a customer read twice once, as last read', () => {
    const builder = new CustomerTableBuilder();
    builder.add(7, names('Old', 'Name', 'old@example.com'));
    builder.add(8, names('Other', 'One', 'other@example.com'));
    builder.add(7, names('New', 'Name', 'new@example.com'));
    expect(builder.size).toBe(3);
    const table = builder.build();
    expect(table.size).toBe(2);
    expect(table.get(7)).toEqual(names('New', 'Name', 'new@example.com'));
  });

  it('hands out copies: changing an answer does not change the table', () => {
    const builder = new CustomerTableBuilder();
    builder.add(1, names('A', 'B', 'a@example.com'));
    builder.add(2, names('N\u0000', 'B', 'n@example.com'));
    const table = builder.build();
    table.get(1)!.firstName = 'changed';
    table.get(2)!.firstName = 'changed';
    expect(table.get(1)!.firstName).toBe('A');
    expect(table.get(2)!.firstName).toBe('N\u0000');
  });

  it('holds its data outside the heap, about 16 bytes a customer plus the names', () => {
    const builder = new CustomerTableBuilder();
    for (let id = 1; id <= 10_000; id++) builder.add(id, names('Ab', 'Cd', 'ef@example.com'));
    const table = builder.build();
    // 2 + 2 + 14 characters and two separators: 20 bytes each.
    expect(table.bytes).toBe(10_000 * (16 + 20));
  });
});
