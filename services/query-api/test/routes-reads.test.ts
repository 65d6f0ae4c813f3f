import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { createAuditLog, REPORT_IDS_KEPT, type AuditLog } from '../src/audit';
import type { Caller } from '../src/auth';
import { readsRoutes } from '../src/routes-reads';
import { memoryStore, type MemoryStore } from './memory-audit-store';
import { serveRouter, type ServedRouter } from './serve-router';

type Read = { action: string; reader: { country: string }; reportIds: string[]; cut?: boolean };

describe("query API: an owner's view of reads (GET /v1/reads)", () => {
  let mem: MemoryStore;
  let log: AuditLog;
  let api: ServedRouter;
  const kzOwner: Caller = {
    sub: 'operator-KZ',
    role: 'node-operator',
    country: 'KZ',
    clearance: 'AMBER',
    regions: [],
  };
  const uzReader = { sub: 'analyst-UZ', role: 'analyst', country: 'UZ' };
  const kzRecord = randomUUID();

  const reads = async (query = '') => {
    const r = await api.get<{ reads: Read[] }>(`/v1/reads${query}`);
    expect(r.status).to.equal(200);
    return r.body.reads;
  };

  beforeEach(async () => {
    mem = memoryStore();
    log = createAuditLog(mem.store);
    api = await serveRouter(readsRoutes({ store: mem.store, audit: log }), kzOwner);
    // A UZ analyst reads one KZ record, then exports 1,500 records: 1,000 of UZ, then 500 of KZ.
    await log.append({
      actor: uzReader,
      action: 'read',
      query: {},
      count: 1,
      reportIds: [kzRecord],
      reportOrigins: ['KZ'],
    });
    const origins = [...Array<string>(REPORT_IDS_KEPT).fill('UZ'), ...Array<string>(500).fill('KZ')];
    await log.append({
      actor: uzReader,
      action: 'export',
      query: { format: 'csv' },
      count: origins.length,
      reportIds: origins.map(() => randomUUID()),
      reportOrigins: origins,
    });
  });
  afterEach(() => api.close());

  it('shows an export whose ids of its records were left out of the log, marked cut', async () => {
    const shown = await reads();
    expect(shown.map((r) => [r.action, r.reader.country, r.reportIds, r.cut])).to.deep.equal([
      ['export', 'UZ', [], true],
      ['read', 'UZ', [kzRecord], undefined],
    ]);
    // The store was asked for the entries naming KZ among the countries read.
    expect(mem.filters.at(-1)).to.deep.equal({ $and: [{ origins: 'KZ' }] });
  });

  it('counts in its limit the reads it answers', async () => {
    expect((await reads('?limit=1')).map((r) => r.action)).to.deep.equal(['export']);
  });

  it('with reportId, asks also for the entries that left out ids of its records', async () => {
    await reads(`?reportId=${kzRecord}`);
    expect(mem.filters.at(-1)).to.deep.equal({
      $and: [{ origins: 'KZ' }, { $or: [{ reportIds: kzRecord }, { cutOrigins: 'KZ' }] }],
    });
  });

  it('shows an entry written before cutOrigins was kept that left out every id of its records, marked cut', async () => {
    // As entries were written then: origins of all the records read, ids and their origins cut at 1,000.
    mem.docs.push({
      _id: 'audit-000000000003',
      seq: 3,
      at: new Date(),
      actor: { sub: 'analyst-KG', role: 'analyst', country: 'KG' },
      action: 'export',
      query: {},
      count: 1200,
      reportIds: Array.from({ length: REPORT_IDS_KEPT }, () => randomUUID()),
      reportOrigins: Array<string>(REPORT_IDS_KEPT).fill('UZ'),
      origins: ['KZ', 'UZ'],
      prevHash: '0'.repeat(64),
      hash: '0'.repeat(64),
    });
    const shown = await reads();
    expect(shown[0]).to.deep.include({ action: 'export', reportIds: [], cut: true });
    expect(shown[0]!.reader.country).to.equal('KG');
  });
});
