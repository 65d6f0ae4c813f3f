// A record's page re-verifies its archived original: the signature, and that the record shown is what was signed.
import { expect } from 'chai';
import { COLLECTIONS, connectStore, type Store, type StoredReport } from '@hub/store';
import { createTestEnv, waitUntil, type TestEnv } from '../support/env';
import { getJson, minimalReport, postJson, startTestHub, type TestHub } from '../support/hub';

describe('query API: provenance of a record', function () {
  this.timeout(120000);
  let env: TestEnv;
  let hub: TestHub;
  let store: Store;

  before(async () => {
    env = createTestEnv('provenance');
    hub = await startTestHub(env, ['KZ']);
    store = await connectStore({ url: env.config.mongo.url, dbName: env.config.mongo.dbName });
  });
  after(async () => {
    await hub?.close();
    await store?.close();
    env?.cleanup();
  });

  /** A report of KZ's, sent and stored; its id. */
  const stored = async (handling: Record<string, unknown>) => {
    const r = await postJson(`${hub.nodes.KZ!.url}/v1/seizures`, { ...minimalReport(), handling });
    expect(r.status, JSON.stringify(r.body)).to.equal(202);
    const id = r.body.reportId as string;
    await waitUntil('the report stored', async () =>
      (await store.collection<StoredReport>(COLLECTIONS.reports).findOne({ _id: id })) ? true : undefined,
    );
    return id;
  };
  const provenanceOf = async (id: string) => {
    const r = await getJson(`${hub.apiUrl}/v1/seizures/${id}`, hub.token('coordinator', 'KZ', 'RED'));
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    return r.body.provenance as { verified: boolean; reason?: string; content?: string };
  };

  it('says verified only while the record shown is the signed payload, with its handling', async () => {
    const quantity = await stored({ tlp: 'GREEN' });
    const tlp = await stored({ tlp: 'RED' });
    for (const id of [quantity, tlp])
      expect(await provenanceOf(id)).to.include({
        verified: true,
        content: 'the record shown is the signed payload',
      });
    const reports = store.collection<StoredReport>(COLLECTIONS.reports);
    // Changed in the store after it was stored: the quantity seized, and the handling a reader is judged by.
    await reports.updateOne({ _id: quantity }, { $set: { 'report.drugs.0.quantity': 9999 } });
    await reports.updateOne({ _id: tlp }, { $set: { 'handling.tlp': 'CLEAR' } });
    for (const id of [quantity, tlp])
      expect(await provenanceOf(id), id).to.include({
        verified: false,
        reason: 'content-mismatch',
        content:
          'the record shown differs from the signed payload (changed in the store since it was stored)',
      });
  });

  it('finds a record by its id in capitals, as an agency may have written it', async () => {
    const id = await stored({ tlp: 'GREEN' });
    const r = await getJson(
      `${hub.apiUrl}/v1/seizures/${id.toUpperCase()}`,
      hub.token('analyst', 'KZ', 'GREEN'),
    );
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    expect(r.body.reportId).to.equal(id);
    // The owner's view of who read it, asked in capitals too, shows that read.
    const reads = await getJson(
      `${hub.apiUrl}/v1/reads?reportId=${id.toUpperCase()}`,
      hub.token('analyst', 'KZ', 'GREEN'),
    );
    expect(reads.status, JSON.stringify(reads.body)).to.equal(200);
    const items = reads.body.reads as { reportIds: string[] }[];
    expect(
      items.some((e) => e.reportIds.includes(id)),
      JSON.stringify(reads.body),
    ).to.equal(true);
  });

  it('audits a look-up of a record it answers as absent, naming neither the record nor its owner', async () => {
    const id = await stored({ tlp: 'RED' });
    const r = await getJson(`${hub.apiUrl}/v1/seizures/${id}`, hub.token('analyst', 'KG', 'RED'));
    expect(r.status).to.equal(404);
    type Entry = {
      actor: { country: string };
      action: string;
      query: { reportId?: string };
      reportIds: string[];
    };
    const entries = (await getJson(`${hub.apiUrl}/v1/audit?country=KG`, hub.token('auditor', 'KZ', 'RED')))
      .body.entries as Entry[];
    const probe = entries.find((e) => e.action === 'read' && e.query.reportId === id);
    expect(probe, JSON.stringify(entries.slice(0, 3))).to.include({ count: 0 });
    expect(probe!.reportIds).to.deep.equal([]);
    // Nor the owner's country, in any of the fields an entry names the origins of what was read by (audit.ts).
    expect(probe, JSON.stringify(probe)).to.not.have.any.keys('reportOrigins', 'origins', 'cutOrigins');
    expect(JSON.stringify(probe), 'the owner, KZ, named anywhere in the entry').to.not.include('"KZ"');
    // Not in the owner's view of who read its records: it was not read.
    const reads = await getJson(`${hub.apiUrl}/v1/reads?reportId=${id}`, hub.token('analyst', 'KZ', 'RED'));
    expect(
      (reads.body.reads as { reader: { country: string } }[]).map((e) => e.reader.country),
    ).to.not.include('KG');
  });
});
