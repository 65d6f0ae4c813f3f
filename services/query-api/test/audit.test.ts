import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { createAuditLog, entryHash, REPORT_IDS_KEPT } from '../src/audit';
import { memoryStore } from './memory-audit-store';

const actor = { sub: 'analyst-UZ', role: 'analyst', country: 'UZ' };

describe('audit log: the records an entry names', () => {
  it('keeps the countries of every record read, also of the ids it leaves out, within the hash chain', async () => {
    const { store, docs } = memoryStore();
    const log = createAuditLog(store, () => Date.UTC(2026, 0, 2));
    // An export of 10,000 rows (GET /v1/export/seizures.csv's most): UZ's first, KZ's and KG's past the ids kept.
    const origins = [
      ...Array<string>(REPORT_IDS_KEPT).fill('UZ'),
      ...Array<string>(8900).fill('KZ'),
      ...Array<string>(100).fill('KG'),
    ];
    const entry = await log.append({
      actor,
      action: 'export',
      query: { format: 'csv' },
      count: origins.length,
      reportIds: origins.map(() => randomUUID()),
      reportOrigins: origins,
    });
    expect(entry.reportIds).to.have.length(REPORT_IDS_KEPT);
    expect(new Set(entry.reportOrigins)).to.deep.equal(new Set(['UZ']));
    expect(entry.origins).to.deep.equal(['KG', 'KZ', 'UZ']);
    expect(entry.cutOrigins).to.deep.equal(['KG', 'KZ']);
    expect(await log.verify()).to.deep.equal({ valid: true, checked: 1 });
    // Covered by the hash: an entry that no longer says whose ids it left out does not hold.
    docs[0]!.cutOrigins = ['KG'];
    expect(await log.verify()).to.include({
      valid: false,
      brokenAt: 1,
      reason: 'entry content does not match its hash',
    });
  });

  it('leaves cutOrigins out of an entry that names every record it read', async () => {
    const { store } = memoryStore();
    const log = createAuditLog(store);
    const entry = await log.append({
      actor,
      action: 'search',
      query: {},
      count: REPORT_IDS_KEPT,
      reportIds: Array.from({ length: REPORT_IDS_KEPT }, () => randomUUID()),
      reportOrigins: Array<string>(REPORT_IDS_KEPT).fill('KZ'),
    });
    expect(entry).to.not.have.property('cutOrigins');
    expect(entry.reportIds).to.have.length(REPORT_IDS_KEPT);
  });

  it('hashes an entry without cutOrigins as entries were hashed before it was kept (chains already written hold)', () => {
    // Computed with the entryHash of before cutOrigins.
    expect(
      entryHash({
        seq: 7,
        at: new Date('2026-01-02T03:04:05.000Z'),
        actor,
        action: 'export',
        query: { country: 'KZ', format: 'csv' },
        count: 2,
        reportIds: ['11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222'],
        reportOrigins: ['KZ', 'UZ'],
        origins: ['KZ', 'UZ'],
        prevHash: 'a'.repeat(64),
      }),
    ).to.equal('1956903f7e6636175eee6f06994b0549c9e0258315eaddd593f6f127cc4bc61c');
  });
});
