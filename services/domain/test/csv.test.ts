import { expect } from 'chai';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@hub/config';
import {
  COLUMNS,
  CsvParser,
  TEMPLATE_COLUMNS,
  columnFor,
  csvErrorReport,
  csvLine,
  csvReportId,
  detectSeparator,
  distancesComputed,
  idsReports,
  idsRowsFromReport,
  loadVocabularies,
  parseCsv,
  parseCsvStream,
  parseNumber,
  planCsvImport,
  readIdsHeader,
  templateHeader,
  toFileLines,
  validateCsvReports,
  type CsvRow,
  type ReportContext,
} from '../src/index';

const TEMPLATE = readFileSync(join(repoRoot, 'docs', 'templates', 'ids-seizures.csv'), 'utf8');

/** A KZ node's context; versions counted per report id like the node's index does. */
function kzContext(versions = new Map<string, number>()): ReportContext {
  return {
    nodeCountry: 'KZ',
    now: Date.parse('2026-11-01T00:00:00Z'),
    versionOf: (id) => {
      const v = (versions.get(id) ?? 0) + 1;
      versions.set(id, v);
      return v;
    },
    regions: new Set(['central-asia']),
  };
}

/** A small CSV in our simple column names, one line per row. */
const HEAD = 'reference,date,drug,quantity,unit,agency,tlp';
const csv = (...lines: string[]) => [HEAD, ...lines].join('\n');

describe('CSV parser (RFC 4180)', () => {
  const rows = (text: string) => parseCsv(text).rows.map((r) => r.fields);

  it('reads quoted fields holding separators, "" escapes and line breaks', () => {
    const p = parseCsv('a,b,c\n"x, y","say ""hi""","two\nlines"\nplain,,end\n');
    expect(p.header?.fields).to.deep.equal(['a', 'b', 'c']);
    expect(p.rows.map((r) => r.fields)).to.deep.equal([
      ['x, y', 'say "hi"', 'two\nlines'],
      ['plain', '', 'end'],
    ]);
  });

  it('numbers each record by the line it starts on, counting line breaks inside quotes', () => {
    const p = parseCsv('h1,h2\r\n1,"a\r\nb\r\nc"\r\n\r\n2,x\r\n3,"y"');
    expect(p.rows.map((r) => [r.line, r.fields[0]])).to.deep.equal([
      [2, '1'],
      [6, '2'],
      [7, '3'],
    ]);
  });

  it('accepts CRLF, LF and a final line without a break, and strips a UTF-8 BOM', () => {
    for (const text of ['\uFEFFa;b\r\n1;2\r\n', 'a;b\n1;2\n', 'a;b\n1;2']) {
      const p = parseCsv(text);
      expect(p.separator).to.equal(';');
      expect(p.header?.fields).to.deep.equal(['a', 'b']);
      expect(rows(text)).to.deep.equal([['1', '2']]);
    }
  });

  it('detects the separator from the header line, ignoring quoted ones', () => {
    expect(detectSeparator('Seizure Date,Drug/Substance,Quantity Seized')).to.equal(',');
    expect(detectSeparator('Region;SubRegion;Country;"A,B,C"')).to.equal(';');
    expect(detectSeparator('a\tb\tc')).to.equal('\t');
    expect(parseCsv('"a;b",c\n1,2').separator).to.equal(',');
  });

  it('skips blank lines and reports syntax problems on the record they occur in', () => {
    const p = parseCsv('a,b\n\n1,"open\n2,x\n');
    expect(p.rows).to.have.length(1);
    expect(p.rows[0]?.error).to.match(/not closed/);
    const q = parseCsv('a,b\n1,"x"y\n2,z\n');
    expect(q.rows[0]).to.include({ line: 2 });
    expect(q.rows[0]?.error).to.match(/after the closing quote/);
    expect(q.rows[1]).to.deep.equal({ line: 3, fields: ['2', 'z'] });
  });

  it('gives the same records however the input is cut into chunks', () => {
    const text = '\uFEFFa;b;c\r\n"x;1";"q""uo\r\nte";3\r\n\r\nlast;"";\r\n';
    const whole = parseCsv(text);
    for (let cut = 0; cut <= text.length; cut++) {
      for (const size of [1, 2, 3, 7]) {
        const parser = new CsvParser();
        const out: CsvRow[] = [];
        out.push(...parser.push(text.slice(0, cut)));
        for (let i = cut; i < text.length; i += size) out.push(...parser.push(text.slice(i, i + size)));
        out.push(...parser.end());
        expect(out.slice(1), `cut ${cut} size ${size}`).to.deep.equal(whole.rows);
      }
    }
  });

  it('reads back whatever csvLine writes (property)', () => {
    const field = fc.string({ unit: fc.constantFrom('a', 'б', ' ', ',', ';', '"', '\n', '\r\n', '1') });
    fc.assert(
      fc.property(
        fc.array(fc.array(field, { minLength: 2, maxLength: 5 }), { minLength: 1, maxLength: 8 }),
        (recs) => {
          const width = recs[0]!.length;
          const table = recs.map((r) => [...r, ...Array(width).fill('x')].slice(0, width));
          // A record of only empty fields is a blank line, which CSV cannot tell from nothing.
          const kept = table.filter((r) => r.some((f) => f !== ''));
          const text = ['h1,h2,h3,h4,h5'.split(',').slice(0, width), ...kept]
            .map((r) => csvLine(r))
            .join('\r\n');
          expect(parseCsv(text).rows.map((r) => r.fields)).to.deep.equal(kept);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('streams bytes split inside multi-byte characters', async () => {
    const bytes = Buffer.from('город;кол-во\nАлматы;"1,5"\n', 'utf8');
    async function* pieces() {
      for (let i = 0; i < bytes.length; i += 3) yield bytes.subarray(i, i + 3);
    }
    const out: CsvRow[] = [];
    for await (const row of parseCsvStream(pieces())) out.push(row);
    expect(out.map((r) => r.fields)).to.deep.equal([
      ['город', 'кол-во'],
      ['Алматы', '1,5'],
    ]);
  });

  it('parses 100,000 rows, each of its own, quotes and commas inside fields kept', () => {
    // How fast belongs to the benchmarks; here, that every row of a large file comes out whole, in order, on its line.
    const fields = (i: number) => [
      `KZ-${i}`,
      `2026-03-${String((i % 28) + 1).padStart(2, '0')}`,
      i % 2 ? 'Heroin' : 'Cannabis resin',
      `${i % 97},5`,
      'kg',
      'customs',
      'AMBER',
      `note ${i} with "quotes", commas`,
    ];
    const line = (i: number) => {
      const [ref, date, drug, qty, unit, agency, tlp, notes] = fields(i);
      return `"${ref}",${date},${drug},"${qty}",${unit},${agency},${tlp},"${notes!.replace(/"/g, '""')}"\r\n`;
    };
    const text = `ref,date,drug,qty,unit,agency,tlp,notes\r\n${Array.from({ length: 100_000 }, (_, i) => line(i)).join('')}`;
    const p = parseCsv(text);
    expect(p.header?.fields).to.deep.equal(['ref', 'date', 'drug', 'qty', 'unit', 'agency', 'tlp', 'notes']);
    expect(p.rows).to.have.length(100_000);
    const wrong = p.rows.findIndex(
      (r, i) => r.line !== i + 2 || JSON.stringify(r.fields) !== JSON.stringify(fields(i)),
    );
    expect(wrong, `row ${wrong}: ${JSON.stringify(p.rows[wrong])}`).to.equal(-1);
    expect(p.rows[99_999]).to.deep.include({ line: 100_001 });
    expect(p.rows[99_999]!.fields[0]).to.equal('KZ-99999');
    expect(p.rows[5]!.fields[7]).to.equal('note 5 with "quotes", commas');
  });
});

describe('IDS columns', () => {
  it('knows the UNODC IDS names and our simple names, whatever their case and spacing', () => {
    expect(columnFor('Seizure Date')).to.equal('date');
    expect(columnFor('Country/Territory of Seizure')).to.equal('countryName');
    expect(columnFor('ISO3')).to.equal('iso3');
    expect(columnFor('Drug/Substance')).to.equal('substance');
    expect(columnFor('quantity seized')).to.equal('quantity');
    expect(columnFor('MEASUREMENT_UNIT')).to.equal('unit');
    expect(columnFor('Physical Seizure Location')).to.equal('locationType');
    expect(columnFor('Trafficking Mode of Transportation')).to.equal('mode');
    expect(columnFor('DEPARTURE_COUNTRY')).to.equal('departure');
    expect(columnFor('Destination country')).to.equal('destination');
    expect(columnFor('PRODUCING_COUNTRY')).to.equal('producing');
    expect(columnFor(' drug ')).to.equal('substance');
    expect(columnFor('Case')).to.equal('reference');
    expect(columnFor('seizure_reference')).to.equal('reference');
    expect(columnFor('Subregion')).to.equal('subregion');
    expect(columnFor('colour')).to.equal(undefined);
  });

  it('names missing required columns and repeated ones on the header line; defaults stand in for agency and TLP', () => {
    const header = (line: string) => parseCsv(`${line}\n`).header;
    const h = readIdsHeader(header('Seizure Date,Drug/Substance,Quantity Seized,quantity,Colour'));
    expect(h.ignored).to.deep.equal(['Colour']);
    const messages = h.errors.map((e) => `${e.line}:${e.column}: ${e.message}`);
    expect(messages.some((m) => /^1:quantity: repeats column 'Quantity Seized'/.test(m))).to.equal(true);
    expect(
      messages.some((m) => m.startsWith("1:Measurement Unit: the column 'Measurement Unit' is missing")),
    ).to.equal(true);
    expect(h.errors.map((e) => e.column)).to.include.members(['Measurement Unit', 'Agency', 'TLP']);
    const ok = readIdsHeader(header('Seizure Date,Drug/Substance,Quantity Seized,Measurement Unit'), {
      agency: 'customs',
      tlp: 'GREEN',
    });
    expect(ok.errors).to.deep.equal([]);
  });

  it('reads the template header as the template columns, in order', () => {
    const h = parseCsv(TEMPLATE).header!;
    expect(h.fields).to.deep.equal(templateHeader());
    expect(h.fields.map((f) => columnFor(f))).to.deep.equal(TEMPLATE_COLUMNS);
    expect(TEMPLATE_COLUMNS.every((k) => COLUMNS[k].level !== 'ignored')).to.equal(true);
  });

  it('reads numbers with decimal commas in ;-files and thousands separators in ,-files', () => {
    expect(parseNumber('12,5', ';')).to.equal(12.5);
    expect(parseNumber('1 250,75', ';')).to.equal(1250.75);
    expect(parseNumber('1,250', ',')).to.equal(1250);
    expect(parseNumber('1,250.5', ',')).to.equal(1250.5);
    expect(parseNumber('1.250,5', ',')).to.equal(1250.5);
    expect(parseNumber('0,45', ',')).to.equal(0.45);
    expect(parseNumber('12 kg', ',')).to.equal('12 kg');
  });

  it('never reads "0," as a thousands group: "0,500" is half, in any file', () => {
    for (const sep of [',', ';', '\t'] as const) {
      expect(parseNumber('0,500', sep), sep).to.equal(0.5);
      expect(parseNumber('0,125', sep), sep).to.equal(0.125);
      expect(parseNumber('-0,500', sep), sep).to.equal(-0.5);
    }
    // A group after a digit other than 0 is still one in a ','-file (docs/templates/README.md).
    expect(parseNumber('1,500', ',')).to.equal(1500);
    expect(parseNumber('10,500,000', ',')).to.equal(10500000);
    // `hub import`: a quoted "0,500" kg in a ','-file is half a kilogram.
    const { reports } = idsReports(parseCsv(csv('A-1,2026-03-14,heroin,"0,500",kg,customs,AMBER')), {
      nodeCountry: 'KZ',
    });
    const drugs = reports[0]!.body.drugs as Record<string, unknown>[];
    expect(drugs[0]).to.include({ quantity: 0.5, unit: 'kg' });
  });
});

describe('IDS rows → reports', () => {
  it('makes one report of the rows sharing a reference, one drug line per row', () => {
    const { reports } = idsReports(
      parseCsv(
        csv(
          'A-1,2026-03-14,heroin,12.5,kg,customs,AMBER',
          ',2026-03-15,opium,3,kg,police,GREEN',
          'A-1,2026-03-14,hashish,2,kg,customs,AMBER',
        ),
      ),
      { nodeCountry: 'KZ' },
    );
    expect(reports.map((r) => [r.reference, r.lines])).to.deep.equal([
      ['A-1', [2, 4]],
      [null, [3]],
    ]);
    const drugs = reports[0]!.body.drugs as Record<string, unknown>[];
    expect(drugs.map((d) => d.substance)).to.deep.equal(['heroin', 'hashish']);
    expect(reports[0]!.body.caseReference).to.equal('A-1');
    expect(reports[0]!.body.country).to.equal('KZ');
  });

  it('derives stable report ids from (node country, reference), and from content for rows without one', () => {
    const text = csv('A-1,2026-03-14,heroin,1,kg,customs,AMBER', ',2026-03-15,opium,3,kg,police,GREEN');
    const ids = (cc: string) =>
      idsReports(parseCsv(text), { nodeCountry: cc }).reports.map((r) => r.reportId);
    expect(ids('KZ')).to.deep.equal(ids('KZ'));
    expect(ids('KZ')[0]).to.equal(csvReportId('KZ', 'A-1'));
    // Pinned: a report imported again (after any change of the code) must keep the id it was first stored under.
    expect(csvReportId('KZ', 'A-1')).to.equal('afa91ce5-ab25-5311-ac26-4d7829f1005a');
    expect(ids('KZ')[0]).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(ids('KG')[0]).to.not.equal(ids('KZ')[0]);
    const twins = idsReports(
      parseCsv(csv(',2026-03-15,opium,3,kg,police,GREEN', ',2026-03-15,opium,3,kg,police,GREEN')),
      { nodeCountry: 'KZ' },
    ).reports;
    expect(twins[0]!.reportId).to.not.equal(twins[1]!.reportId);
  });

  it('treats "Data not available" and empty cells as absent, and route "Unknown"/"Other" too', () => {
    const text = [
      'Seizure Date,Drug/Substance,Quantity Seized,Measurement Unit,City,Trafficking Mode of Transportation,DEPARTURE_COUNTRY,DESTINATION_COUNTRY,PRODUCING_COUNTRY',
      '2026-03-14,Heroin,1,kg,Data not available,Data not available,Unknown,Russian Federation,Other',
    ].join('\n');
    const body = idsReports(parseCsv(text), {
      nodeCountry: 'KZ',
      defaults: { agency: 'customs', tlp: 'GREEN' },
    }).reports[0]!.body;
    expect(body.place).to.equal(undefined);
    expect(body.conveyance).to.equal(undefined);
    expect(body.route).to.deep.equal([{ country: 'Russian Federation', role: 'destination' }]);
    expect(body.agency).to.equal('customs');
    expect(body.handling).to.deep.equal({ tlp: 'GREEN' });
  });

  it('reads dates as DD.MM.YYYY, DD/MM/YYYY or ISO, with an optional time column', () => {
    const text = [
      'ref,date,time,drug,quantity,unit,agency,tlp',
      'a,14.03.2026,09:30+05:00,heroin,1,kg,customs,AMBER',
      'b,4/3/2026,,heroin,1,kg,customs,AMBER',
      'c,2026-03-14T10:00:00Z,,heroin,1,kg,customs,AMBER',
    ].join('\n');
    const dates = idsReports(parseCsv(text), { nodeCountry: 'KZ' }).reports.map((r) => r.body.seizedAt);
    expect(dates).to.deep.equal(['2026-03-14T09:30+05:00', '2026-03-04', '2026-03-14T10:00:00Z']);
  });
});

describe('validateCsvReports', () => {
  it('blames a bad Seizure Time on the time cell, with its own rule, and not on the date', () => {
    const text = [
      'ref,date,time,drug,quantity,unit,agency,tlp',
      'a,14.03.2026,09.30,heroin,1,kg,customs,AMBER',
      'b,14.03.2026,9:30 AM,heroin,1,kg,customs,AMBER',
      'c,14.03.2026,25:00,heroin,1,kg,customs,AMBER',
      'd,14.03.2026,9:30:15,heroin,1,kg,customs,AMBER',
      'e,14.03.2026,09:30+05:00,heroin,1,kg,customs,AMBER',
    ].join('\n');
    const v = validateCsvReports(text, kzContext());
    expect(v.errors.map((e) => [e.line, e.column, e.value])).to.deep.equal([
      [2, 'time', '09.30'],
      [3, 'time', '9:30 AM'],
      [4, 'time', '25:00'],
    ]);
    for (const e of v.errors) expect(e.message).to.match(/^must be a 24-hour time HH:MM/);
    expect(v.reports.filter((r) => r.ok)).to.have.length(2);
  });

  it('refuses a UTC offset no time zone has, in the time cell or the date cell', () => {
    const text = [
      'ref,date,time,drug,quantity,unit,agency,tlp',
      'a,14.03.2026,09:30+99:99,heroin,1,kg,customs,AMBER',
      'b,2026-03-14T09:30:00+05:60,,heroin,1,kg,customs,AMBER',
      'c,14.03.2026,09:30-14:30,heroin,1,kg,customs,AMBER',
      'd,14.03.2026,09:30+14:00,heroin,1,kg,customs,AMBER',
    ].join('\n');
    const v = validateCsvReports(text, kzContext());
    expect(v.errors.map((e) => [e.line, e.column, e.value])).to.deep.equal([
      [2, 'time', '09:30+99:99'],
      [3, 'date', '2026-03-14T09:30:00+05:60'],
      [4, 'time', '09:30-14:30'],
    ]);
    for (const e of v.errors)
      expect(e.message).to.match(/UTC offset .* at most ±14:00, its minutes under 60/);
  });

  it('computes suggestions for a few unknown terms of a file, and still refuses every one by its cell', () => {
    // A pass over a vocabulary for each misspelt row once held a node for 24 s on 5,000 rows.
    const letters = 'abcdefghijklmnopqrstuvwxyz';
    const typos = Array.from(
      { length: 200 },
      (_, i) => `heroin${letters[i % 26]}${letters[Math.floor(i / 26)]}`,
    );
    const before = distancesComputed();
    loadVocabularies().substances.suggest('heroinzz');
    const one = distancesComputed() - before;
    expect(one).to.be.greaterThan(0);
    const text = csv(...typos.map((t, i) => `R${i},2026-03-14,${t},1,kg,customs,AMBER`));
    const start = distancesComputed();
    const v = validateCsvReports(text, kzContext());
    expect(distancesComputed() - start).to.be.at.most(25 * one);
    expect(v.errors).to.have.length(200);
    v.errors.forEach((e, i) => {
      expect(e).to.include({ line: i + 2, column: 'drug', value: typos[i] });
      expect(e.message).to.match(/^unknown substances term/);
    });
    expect(v.errors.filter((e) => e.message.includes('did you mean heroin'))).to.have.length.within(1, 20);
  });

  it('validates the template: every report valid, the two-drug seizure one report of version 1', () => {
    const v = validateCsvReports(TEMPLATE, kzContext());
    expect(v.errors).to.deep.equal([]);
    expect(v.rows).to.equal(5);
    expect(v.reports).to.have.length(4);
    const first = v.reports[0]!;
    if (!first.ok || !first.report) throw new Error('first report refused');
    expect(first.lines).to.deep.equal([2, 3]);
    expect(first.report.value.version).to.equal(1);
    expect(first.report.value.drugs.map((d) => d.substance)).to.deep.equal(['heroin', 'cannabis-resin']);
    expect(first.report.value.route.map((l) => `${l.country}:${l.role}`)).to.deep.equal([
      'AF:origin',
      'TJ:departure',
      'KG:transit',
      'RU:destination',
    ]);
    expect(first.report.value.conveyance?.identifiers).to.deep.equal([
      { kind: 'plate', value: '777ABC02' },
      { kind: 'container', value: 'CSQU3054383' },
    ]);
    expect(first.report.value.seizedAt).to.equal(Date.parse('2026-03-14T09:30:00+05:00'));
    expect(first.report.value.handling).to.deep.equal({
      tlp: 'AMBER',
      releasableTo: ['KZ', 'KG', 'TJ', 'UZ', 'TM'],
      evaluation: 'B2',
    });
  });

  it('gives the next version when the same file is validated again', () => {
    const versions = new Map<string, number>();
    validateCsvReports(TEMPLATE, kzContext(versions));
    const again = validateCsvReports(TEMPLATE, kzContext(versions));
    expect(again.reports.map((r) => (r.ok && r.report ? r.report.value.version : 0))).to.deep.equal([
      2, 2, 2, 2,
    ]);
  });

  it('points field errors at the line, column and value they came from', () => {
    const text = [
      'Seizure Reference,Seizure Date,Drug/Substance,Quantity Seized,Measurement Unit,DESTINATION_COUNTRY,Agency,TLP',
      'R-1,2026-03-14,Heroin,12,kg,Russia,customs,AMBER',
      'R-2,2026-03-14,herion,-1,bags,Narnia,customs,AMBER',
      'R-3,14 March 2026,Opium,5,kg,,customs,PURPLE',
      'R-4,2026-03-14,Opium,5,kg,,customs,AMBER',
      'R-4,2026-03-15,Heroin,1,kg,,customs,AMBER',
    ].join('\r\n');
    const v = validateCsvReports(text, kzContext());
    expect(v.reports.map((r) => r.ok)).to.deep.equal([true, false, false, false]);
    const at = (line: number, column: string) => v.errors.find((e) => e.line === line && e.column === column);
    expect(at(3, 'Drug/Substance')).to.include({ value: 'herion' });
    expect(at(3, 'Drug/Substance')?.message).to.match(/did you mean heroin/);
    expect(at(3, 'Quantity Seized')).to.include({ value: '-1', message: 'must be greater than 0' });
    expect(at(3, 'Measurement Unit')?.value).to.equal('bags');
    expect(at(3, 'DESTINATION_COUNTRY')).to.include({ value: 'Narnia' });
    expect(at(4, 'Seizure Date')?.message).to.match(/DD\.MM\.YYYY/);
    expect(at(4, 'TLP')).to.include({ value: 'PURPLE' });
    expect(at(6, 'Seizure Date')?.message).to.match(/differs from line 5/);
    // Errors come sorted by line.
    expect(v.errors.map((e) => e.line)).to.deep.equal([...v.errors.map((e) => e.line)].sort((a, b) => a - b));
  });

  it("blames a drug line's missing cell on that line, not on the seizure's first", () => {
    const text = csv(
      'A,2024-01-01,heroin,1,kg,customs,AMBER',
      'A,2024-01-01,,2,kg,customs,AMBER',
      'A,2024-01-01,opium,,kg,customs,AMBER',
      'A,2024-01-01,opium,3,,customs,AMBER',
    );
    const v = validateCsvReports(text, kzContext());
    expect(v.errors).to.deep.equal([
      { line: 3, column: 'drug', value: '', message: 'is required' },
      { line: 4, column: 'quantity', value: '', message: 'is required' },
      { line: 5, column: 'unit', value: '', message: 'is required' },
    ]);
  });

  it('names the part a split cell lacks, and how the cell is written (Arrested, Identifiers)', () => {
    const text = [
      'ref,date,drug,quantity,unit,agency,tlp,mode,Identifiers,Arrested,DESTINATION_COUNTRY',
      'a,2026-03-14,heroin,1,kg,customs,AMBER,air,flight:KC921,3,',
      'b,2026-03-14,heroin,1,kg,customs,AMBER,air,flight:,TJ:2,',
      'c,2026-03-14,heroin,1,kg,customs,AMBER,air,flightt:KC921,TJ:0,Narnia',
      'd,2026-03-14,heroin,1,kg,customs,AMBER,air,flight:KC921; container:CSQU3054383,TJ:2; KZ,RU',
    ].join('\n');
    const v = validateCsvReports(text, kzContext());
    const arrests = 'write arrests as nationality:count pairs separated by ;, e.g. TJ:2; KZ:1';
    const ids =
      'write identifiers as kind:value pairs separated by ;, e.g. flight:KC921; container:CSQU3054383';
    expect(v.errors.find((e) => e.line === 2)).to.deep.equal({
      line: 2,
      column: 'Arrested',
      value: '3',
      message: `nationality is required (${arrests})`,
    });
    expect(v.errors.find((e) => e.line === 3)).to.deep.equal({
      line: 3,
      column: 'Identifiers',
      value: 'flight:',
      message: `value is required (${ids})`,
    });
    const line4 = v.errors.filter((e) => e.line === 4);
    expect(line4.find((e) => e.column === 'Identifiers')?.message).to.match(
      /^kind: unknown identifier-kinds term; did you mean flight\?.* \(write identifiers as kind:value/,
    );
    expect(line4.find((e) => e.column === 'Arrested')?.message).to.equal(
      `count must be at least 1 (${arrests})`,
    );
    // A route cell is one country: its error needs no part named.
    expect(line4.find((e) => e.column === 'DESTINATION_COUNTRY')).to.deep.include({
      value: 'Narnia',
      message: 'unknown country; use an ISO 3166-1 alpha-2 code (e.g. KZ)',
    });
    expect(line4).to.have.length(3);
    expect(v.reports.map((r) => r.ok)).to.deep.equal([false, false, false, true]);
  });

  it('takes a Seizure Time of 24:00, the end of the date, and refuses 24:01', () => {
    const text = [
      'ref,date,time,drug,quantity,unit,agency,tlp',
      'a,14.03.2026,24:00,heroin,1,kg,customs,AMBER',
      'b,14.03.2026,24:01,heroin,1,kg,customs,AMBER',
      'c,14.03.2026,24:00:00.5,heroin,1,kg,customs,AMBER',
    ].join('\n');
    const v = validateCsvReports(text, kzContext());
    expect(v.errors.map((e) => [e.line, e.column, e.value])).to.deep.equal([
      [3, 'time', '24:01'],
      [4, 'time', '24:00:00.5'],
    ]);
    const first = v.reports[0]!;
    if (!first.ok || !first.report) throw new Error('24:00 refused');
    expect(first.report.value.seizedAt).to.equal(Date.UTC(2026, 2, 15));
  });

  it('does not use up a version for a report refused while mapping', () => {
    const versions = new Map<string, number>();
    const text = csv('R-4,2026-03-14,opium,5,kg,customs,AMBER', 'R-4,2026-03-15,heroin,1,kg,customs,AMBER');
    expect(validateCsvReports(text, kzContext(versions)).reports[0]!.ok).to.equal(false);
    expect(versions.size).to.equal(0);
  });

  it('names a column the file lacks by its template name, and a country that is not the node’s', () => {
    const text = [
      'ref,date,drug,quantity,unit,agency,tlp,ISO3,Country/Territory of Seizure,plate',
      'a,2026-03-14,heroin,1,kg,customs,,KAZ,Kazakhstan,',
      'b,2026-03-14,heroin,1,kg,customs,GREEN,UZB,Uzbekistan,',
      'c,2026-03-14,heroin,1,kg,customs,GREEN,KAZ,Uzbekistan,01A123BC',
    ].join('\n');
    const v = validateCsvReports(text, kzContext());
    expect(v.errors.find((e) => e.line === 2)).to.include({ column: 'tlp', message: 'is required' });
    expect(v.errors.find((e) => e.line === 3)).to.include({ column: 'ISO3', value: 'UZB' });
    const line4 = v.errors.filter((e) => e.line === 4);
    expect(line4.map((e) => e.column)).to.include.members([
      'Country/Territory of Seizure',
      'Trafficking Mode of Transportation',
    ]);
  });

  it('refuses every row when the header is unusable, with the reason on line 1', () => {
    const v = validateCsvReports('date,drug\n2026-03-14,heroin\n', kzContext());
    expect(v.reports).to.have.length(1);
    expect(v.reports[0]!.ok).to.equal(false);
    expect(v.errors.every((e) => e.line === 1)).to.equal(true);
    expect(validateCsvReports('', kzContext()).errors[0]?.message).to.match(/empty/);
  });

  it('writes the error report as line,column,value,message', () => {
    const text = csvErrorReport([
      { line: 7, column: 'Quantity Seized', value: '-1', message: 'must be greater than 0' },
      {
        line: 3,
        column: 'Drug/Substance',
        value: 'heroine',
        message: 'unknown substances term; did you mean heroin?',
      },
    ]);
    expect(parseCsv(text).header?.fields).to.deep.equal(['line', 'column', 'value', 'message']);
    expect(parseCsv(text).rows.map((r) => r.fields[0])).to.deep.equal(['3', '7']);
  });
});

describe('the CSV template round trip', () => {
  it('parses the template → reports → rows → CSV → the same reports', () => {
    const first = idsReports(parseCsv(TEMPLATE), { nodeCountry: 'KZ' });
    const rows = first.reports.flatMap((r) => idsRowsFromReport(r.body));
    const text = [templateHeader(), ...rows].map((r) => csvLine(r)).join('\r\n');
    const second = idsReports(parseCsv(text), { nodeCountry: 'KZ' });
    expect(second.header.errors).to.deep.equal([]);
    const strip = (b: Record<string, unknown>, ref: string | null) =>
      ref === null ? { ...b, reportId: undefined } : b;
    expect(second.reports.map((r) => strip(r.body, r.reference))).to.deep.equal(
      first.reports.map((r) => strip(r.body, r.reference)),
    );
    const versions = new Map<string, number>();
    expect(validateCsvReports(text, kzContext(versions)).errors).to.deep.equal([]);
  });
});

describe('planCsvImport', () => {
  it('packs whole reports into chunks and maps each chunk line back to the file line', () => {
    const text = csv(
      'A,2026-03-14,heroin,1,kg,customs,AMBER',
      'B,2026-03-14,"opium',
      'x",1,kg,customs,AMBER',
      'A,2026-03-14,hashish,2,kg,customs,AMBER',
      'C,2026-03-14,herion,1,kg,customs,AMBER',
    );
    const plan = planCsvImport(parseCsv(text), { maxReports: 2 });
    expect(plan.reports).to.equal(3);
    expect(plan.rows).to.equal(4);
    expect(plan.chunks.map((c) => [c.reports, c.rows])).to.deep.equal([
      [2, 3],
      [1, 1],
    ]);
    // Chunk 1: header, A (line 2), A (line 6), B (line 3, two lines long).
    expect(plan.chunks[0]!.lineMap.slice(1).filter(Boolean)).to.deep.equal([1, 2, 5, 3]);
    const v = validateCsvReports(plan.chunks[1]!.text, kzContext());
    const mapped = toFileLines(plan.chunks[1]!, v.errors);
    expect(mapped).to.have.length(1);
    expect(mapped[0]).to.include({ line: 6, column: 'drug', value: 'herion' });
  });

  it('sends identical rows without a reference in one chunk, so that each keeps its own report id', () => {
    // Their ids count them among the identical rows of the request: split, both would be the first, and the second
    // would overwrite the first as its version 2.
    const twin = ',2026-03-15,opium,3,kg,police,GREEN';
    const text = csv(twin, 'A,2026-03-14,heroin,1,kg,customs,AMBER', twin);
    const plan = planCsvImport(parseCsv(text), { maxReports: 2 });
    expect(plan.chunks.map((c) => c.reports)).to.deep.equal([2, 1]);
    const versions = new Map<string, number>();
    const ctx = kzContext(versions);
    const sent = plan.chunks.flatMap((c) => {
      const v = validateCsvReports(c.text, ctx);
      expect(v.errors).to.deep.equal([]);
      return v.reports.map((r) => ({ id: r.reportId, lines: r.lines.map((l) => c.lineMap[l]) }));
    });
    expect(new Set(sent.map((r) => r.id)).size).to.equal(3);
    expect([...versions.values()]).to.deep.equal([1, 1, 1]);
    // The same ids as the whole file sent at once, each with its file line.
    const whole = idsReports(parseCsv(text), { nodeCountry: 'KZ' }).reports;
    expect(sent.map((r) => `${r.lines.join()} ${r.id}`).sort()).to.deep.equal(
      whole.map((r) => `${r.lines.join()} ${r.reportId}`).sort(),
    );
  });

  it('keeps rows with CSV syntax errors out of the chunks, refusing their whole report', () => {
    const plan = planCsvImport(
      parseCsv(csv('A,2026-03-14,heroin,1,kg,customs,AMBER', 'B,"x"y,opium,1,kg,customs,AMBER')),
    );
    expect(plan.chunks[0]!.reports).to.equal(1);
    expect(plan.refused).to.have.length(1);
    expect(plan.refused[0]!.errors[0]).to.include({ line: 3 });
  });
});
