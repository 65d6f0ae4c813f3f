import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { createAuditLog, entryHash, REPORT_IDS_KEPT, type AuditEntry, type AuditLog } from '../src/audit';
import type { Caller } from '../src/auth';
import type { Clearance } from '../src/issuer';
import { openApiChecker, type OpenApiDoc } from '../../../test/support/openapi';
import { openApiDocument } from '../src/openapi';
import {
  auditRoutes,
  CHAIN_FIELDS,
  OWN_COUNTRY_FIELDS,
  READ_FIELDS,
  WITHHELD_RULE,
} from '../src/routes-audit';
import { memoryStore, type MemoryStore } from './memory-audit-store';
import { serveRouter, type ServedRouter } from './serve-router';

type Shown = Record<string, unknown> & {
  seq: number;
  actor: { country: string };
  withheld?: { by: string; fields: string[] };
};
type Page = {
  entries: Shown[];
  valid?: boolean;
  checked?: number;
  intact?: boolean;
  brokenAt?: number;
  withheldRule?: string;
};

describe('query API: the audit log as an auditor’s clearance shows it (GET /v1/audit)', () => {
  let mem: MemoryStore;
  let log: AuditLog;
  let api: ServedRouter;
  let caller: Caller;
  const written: AuditEntry[] = [];
  const redRecord = randomUUID();
  const tjRecord = randomUUID();
  const uzAnalyst = { sub: 'analyst-UZ', role: 'analyst', country: 'UZ' };
  const tjAnalyst = { sub: 'analyst-TJ', role: 'analyst', country: 'TJ' };
  const auditor = (country: string, clearance: Clearance): Caller => ({
    sub: `auditor-${country}`,
    role: 'auditor',
    country,
    clearance,
    regions: [],
  });

  const audit = async (as: Caller, query = '') => {
    caller = as;
    const r = await api.get<Page>(`/v1/audit${query}`);
    expect(r.status).to.equal(200);
    return r.body;
  };
  const bySeq = (page: Page) => new Map(page.entries.map((e) => [e.seq, e]));

  beforeEach(async () => {
    mem = memoryStore();
    log = createAuditLog(mem.store, () => Date.UTC(2026, 0, 2));
    written.length = 0;
    api = await serveRouter(auditRoutes({ audit: log }), () => caller);
    // UZ reads its own RED record, searches for heroin (3 found), streams a feed and exports more than the log keeps;
    // a TJ analyst reads a record of TJ's.
    const origins = Array<string>(REPORT_IDS_KEPT + 5).fill('UZ');
    for (const e of [
      {
        actor: uzAnalyst,
        action: 'read' as const,
        query: { reportId: redRecord },
        count: 1,
        reportIds: [redRecord],
        reportOrigins: ['UZ'],
      },
      {
        actor: uzAnalyst,
        action: 'search' as const,
        query: { country: 'UZ', drug: 'heroin', from: '2026-01-01' },
        count: 3,
        reportIds: [redRecord, randomUUID(), randomUUID()],
        reportOrigins: ['UZ', 'UZ', 'UZ'],
      },
      {
        actor: uzAnalyst,
        action: 'feed-stream' as const,
        query: { region: 'central-asia' },
        count: 0,
        reportIds: [],
      },
      {
        actor: uzAnalyst,
        action: 'export' as const,
        query: { format: 'csv', drug: 'heroin' },
        count: origins.length,
        reportIds: origins.map(() => randomUUID()),
        reportOrigins: origins,
      },
      {
        actor: tjAnalyst,
        action: 'read' as const,
        query: { reportId: tjRecord },
        count: 1,
        reportIds: [tjRecord],
        reportOrigins: ['TJ'],
      },
    ])
      written.push(await log.append(e));
  });
  afterEach(() => api.close());

  it('shows an auditor below RED of another country’s entries who did what and when, nothing of what was read', async () => {
    for (const verify of ['', '?verify=false']) {
      const page = await audit(auditor('TJ', 'GREEN'), verify);
      const text = JSON.stringify(page);
      // Neither UZ's record ids nor what it searched for, in any field.
      for (const secret of [redRecord, 'heroin', 'central-asia', written[1]!.reportIds[1]!])
        expect(text, secret).to.not.include(secret);
      const shown = bySeq(page);
      for (const seq of [1, 2, 3, 4]) {
        const e = shown.get(seq)!;
        expect(e, `${seq}`).to.deep.include({
          seq,
          at: '2026-01-02T00:00:00.000Z',
          actor: uzAnalyst,
          action: written[seq - 1]!.action,
        });
        for (const field of [...READ_FIELDS, ...CHAIN_FIELDS])
          expect(e[field], `${seq} ${field}`).to.equal(null);
        expect(e.withheld).to.deep.equal({ by: 'clearance', fields: [...READ_FIELDS, ...CHAIN_FIELDS] });
      }
      expect(page.withheldRule).to.equal(WITHHELD_RULE);
    }
  });

  it('keeps what its own country’s callers asked and read of its records, without the hashes that would let the rest be guessed', async () => {
    const page = await audit(auditor('TJ', 'AMBER'));
    const own = bySeq(page).get(5)!;
    expect(own).to.deep.include({
      actor: tjAnalyst,
      action: 'read',
      query: { reportId: tjRecord },
      count: 1,
      reportIds: [tjRecord],
      reportOrigins: ['TJ'],
      origins: ['TJ'],
      prevHash: null,
      hash: null,
    });
    expect(own.withheld).to.deep.equal({ by: 'clearance', fields: [...OWN_COUNTRY_FIELDS, ...CHAIN_FIELDS] });
    // UZ's auditor, below RED, sees UZ's reads whole and TJ's not.
    const uz = bySeq(await audit(auditor('UZ', 'AMBER')));
    expect(uz.get(2)).to.deep.include({
      query: written[1]!.query,
      count: 3,
      reportIds: written[1]!.reportIds,
    });
    expect(uz.get(4)).to.deep.include({ cutOrigins: ['UZ'], count: REPORT_IDS_KEPT + 5 });
    expect(uz.get(5)).to.deep.include({ query: null, reportIds: null, count: null });
  });

  it('shows an auditor below RED of its own country’s entries only its own country’s records read', async () => {
    // TJ's analyst searches and is given TJ's record and two of others' released to TJ, opens UZ's by its id, and is
    // shown UZ's in an alert.
    const uzAmber = randomUUID();
    const kgAmber = randomUUID();
    const search = await log.append({
      actor: tjAnalyst,
      action: 'search',
      query: { drug: 'heroin' },
      count: 3,
      reportIds: [uzAmber, tjRecord, kgAmber],
      reportOrigins: ['UZ', 'TJ', 'KG'],
    });
    const read = await log.append({
      actor: tjAnalyst,
      action: 'read',
      query: { reportId: uzAmber },
      count: 1,
      reportIds: [uzAmber],
      reportOrigins: ['UZ'],
    });
    const alerts = await log.append({
      actor: tjAnalyst,
      action: 'alerts',
      query: { limit: 20 },
      count: 2,
      reportIds: [uzAmber],
      reportOrigins: ['UZ'],
    });
    const page = await audit(auditor('TJ', 'AMBER'));
    openApiChecker(openApiDocument() as unknown as OpenApiDoc).check('/v1/audit', 'get', 200, page);
    const shown = bySeq(page);
    for (const seq of [search.seq, read.seq, alerts.seq]) {
      const text = JSON.stringify(shown.get(seq));
      for (const other of [uzAmber, kgAmber, '"UZ"', '"KG"'])
        expect(text, `${seq} ${other}`).to.not.include(other);
    }
    expect(shown.get(search.seq)).to.deep.include({
      query: { drug: 'heroin' },
      count: 3,
      reportIds: [tjRecord],
      reportOrigins: ['TJ'],
      origins: ['TJ'],
    });
    // Opened by its id: the query would name it.
    expect(shown.get(read.seq)).to.deep.include({
      query: null,
      count: 1,
      reportIds: [],
      reportOrigins: [],
      origins: [],
    });
    expect(shown.get(read.seq)!.withheld!.fields).to.deep.equal([
      'query',
      ...OWN_COUNTRY_FIELDS,
      ...CHAIN_FIELDS,
    ]);
    expect(shown.get(alerts.seq)).to.deep.include({ query: { limit: 20 }, count: 2, reportIds: [] });
    // The same fields named withheld whether or not another's record was left out (the own read, seq 5, had none).
    for (const seq of [5, search.seq, alerts.seq])
      expect(shown.get(seq)!.withheld, `${seq}`).to.deep.equal({
        by: 'clearance',
        fields: [...OWN_COUNTRY_FIELDS, ...CHAIN_FIELDS],
      });
    // Cleared for RED, the whole of it.
    const red = bySeq(await audit(auditor('TJ', 'RED')));
    expect(red.get(search.seq)).to.deep.include({
      reportIds: [uzAmber, tjRecord, kgAmber],
      origins: ['KG', 'TJ', 'UZ'],
    });
    expect(red.get(read.seq)).to.deep.include({ query: { reportId: uzAmber } });
  });

  it('shows every entry whole, hashes and all, to an auditor cleared for RED', async () => {
    const page = await audit(auditor('TJ', 'RED'));
    expect(page).to.not.have.property('withheldRule');
    expect(page.entries).to.have.length(5);
    for (const e of page.entries) {
      expect(e).to.not.have.property('withheld');
      const { _id, hash, ...body } = e as unknown as AuditEntry;
      void _id;
      expect(hash, `${e.seq}`).to.equal(entryHash({ ...body, at: new Date(body.at) }));
      expect(hash).to.equal(written[e.seq - 1]!.hash);
    }
    expect(bySeq(page).get(1)).to.deep.include({ reportIds: [redRecord], query: { reportId: redRecord } });
  });

  it('tells every caller alike whether the chain holds, checked over the whole entries', async () => {
    const tj = auditor('TJ', 'GREEN');
    expect(await audit(tj)).to.include({ valid: true, checked: 5 });
    expect(await audit(tj, '?verify=false')).to.include({ intact: true });
    // What a caller below RED is not shown is still covered: changing it breaks the chain for that caller too.
    mem.docs[1]!.count = 2;
    expect(await audit(tj)).to.include({ valid: false, brokenAt: 2 });
    expect(await audit(tj, '?verify=false&before=4')).to.include({ intact: false, brokenAt: 2 });
  });
});
