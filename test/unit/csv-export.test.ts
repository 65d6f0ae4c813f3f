// Unit tier: the cells of GET /v1/export/seizures.csv, read as spreadsheets of every locale read them: a comma
// separates cells in en-US, a semicolon in ru-RU and kk-KZ, a tab when pasted. No part of any cell may run as a formula.
import { expect } from 'chai';
import { csvCell } from '@hub/query-api/routes-export';

/** The fields of one line as a spreadsheet splits it at `separator`, honouring double quotes as RFC 4180 does. */
function splitLine(line: string, separator: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === separator) {
      fields.push(field);
      field = '';
    } else field += c;
  }
  fields.push(field);
  return fields;
}

const FORMULA = /^[=+\-@]/;

describe('seizure export CSV cells', () => {
  const hostile = [
    'Khorgos;=1+1;',
    'Khorgos; =HYPERLINK("http://x","y")',
    '=1+1',
    '+7 701 000',
    '-2+3',
    '@SUM(A1)',
    'a\t=1+1',
    'a,=1+1',
    'x;"=1+1',
    'x\t"=1+1',
    'line\n=1+1',
    ' =1+1',
  ];

  it('quotes a cell holding a semicolon, and runs nothing after it, so that ru-RU and kk-KZ spreadsheets run nothing', () => {
    expect(csvCell('Khorgos;=1+1;')).to.equal(`"Khorgos;'=1+1;"`);
    expect(csvCell('a; @x,-1')).to.equal(`"a; '@x,'-1"`);
    // The drugs column joins one entry per drug with "; ".
    expect(csvCell('heroin 2 kg; cocaine 1 kg')).to.equal('"heroin 2 kg; cocaine 1 kg"');
    expect(csvCell('a\tb')).to.equal('"a\tb"');
  });

  for (const separator of [',', ';', '\t'])
    it(`leaves no field starting a formula when the line is split at ${JSON.stringify(separator)}`, () => {
      // Each hostile value first on its line (where a spreadsheet would start reading), then among others.
      for (const value of hostile) {
        const line = [value, 'KZ', value, 'heroin 2 kg; cocaine 1 kg', value].map(csvCell).join(',');
        for (const field of splitLine(line, separator))
          expect(field, `${JSON.stringify(value)} in ${JSON.stringify(line)}`).not.to.match(FORMULA);
      }
    });

  it('keeps plain values as they are', () => {
    expect(csvCell('Almaty')).to.equal('Almaty');
    expect(csvCell(12.5)).to.equal('12.5');
    expect(csvCell(-3)).to.equal('-3');
    expect(csvCell(null)).to.equal('');
    expect(csvCell(new Date('2025-01-02T03:04:05Z'))).to.equal('2025-01-02T03:04:05.000Z');
    expect(csvCell('say "hi"')).to.equal('"say ""hi"""');
  });
});
