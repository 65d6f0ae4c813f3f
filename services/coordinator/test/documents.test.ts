// The store documents built from an accepted message (pure functions of documents.ts).
import { expect } from 'chai';
import { roundKg } from '@hub/domain';
import type { Accepted } from '../src/outcome';
import { annualCells } from '../src/annual';
import { reportDocument } from '../src/documents';

/** An accepted seizure report of KZ's with only what reportDocument reads, its drug lines in kg as decoded. */
function accepted(kgs: (number | null)[]): Accepted {
  return {
    kind: 'accepted',
    subjectId: 'report-1',
    envelope: { origin: 'KZ', messageId: 'message-1' },
    signer: { fingerprint: 'fingerprint-1' },
    value: {
      version: 1,
      country: 'KZ',
      seizedAt: Date.UTC(2026, 2, 14),
      reportedAt: Date.UTC(2026, 2, 15),
      handling: { tlp: 'GREEN', releasableTo: [], evaluation: null },
      drugs: kgs.map((quantityKg) => ({ substance: 'heroin', quantityKg })),
      route: [],
      conveyance: null,
    },
  } as unknown as Accepted;
}

describe('coordinator documents: a stored report', () => {
  it('totals its kilograms without floating-point noise, as the read models do', () => {
    const now = new Date();
    // 100 g + 200 g: 0.30000000000000004 summed as they are.
    expect(reportDocument(accepted([0.1, 0.2]), [], now).totalKg).to.equal(0.3);
    expect(reportDocument(accepted([1.1, 2.2]), [], now).totalKg).to.equal(3.3);
    // A line without a quantity in kg (a count of tablets) adds nothing; a gram stays a gram.
    expect(reportDocument(accepted([0.001, null, 12.5]), [], now).totalKg).to.equal(12.501);
  });
});

describe('coordinator documents: kilograms rounded one way (roundKg)', () => {
  it('rounds to the microgram, as a report total and an annual return cell are rounded', () => {
    expect(roundKg(0.1 + 0.2)).to.equal(0.3);
    expect(roundKg(12.0000000004)).to.equal(12);
    expect(roundKg(12.0000000006)).to.equal(12.000000001);
    expect(roundKg(-(0.1 + 0.2))).to.equal(-0.3);
    const now = new Date();
    expect(reportDocument(accepted([0.1234567891234, 2]), [], now).totalKg).to.equal(2.123456789);
    const row = (kilograms: string) => ({
      drugName: 'Heroin',
      drugGroup: 'opiates',
      isTotal: false,
      kilograms,
    });
    const [cell] = annualCells([row('0.1'), row('0.2'), row('0.0000000004')]);
    expect(cell!.kg).to.equal(0.3);
  });
});
