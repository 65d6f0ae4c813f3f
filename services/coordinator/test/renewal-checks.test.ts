import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { createSigner, type Envelope } from '@hub/envelope';
import { topicNames } from '@hub/kafka';
import { loadSchemaRegistry } from '@hub/schemas';
import type { Store } from '@hub/store';
import { testPki } from '../../pki/test/fixtures';
import type { Accepted, Outcome, Rejected } from '../src/outcome';
import { checkRenewals } from '../src/renewal-checks';
import { applyRenewals, type RetentionDeps, type RetentionDoc } from '../src/retention';

/** The retention collection as checkRenewals reads it: looked up by _id (findEach), one equality query each. */
const memoryStore = (docs: Partial<RetentionDoc>[]): Store =>
  ({
    collection: () => ({
      find: (filter: { _id: string }) => ({
        toArray: async () => docs.filter((d) => d._id === filter._id),
      }),
    }),
  }) as unknown as Store;

let offset = 0;
/** An accepted message of `origin`: `messageType` about `subjectId`, its payload `value`. */
const accepted = (
  origin: string,
  messageType: string,
  subjectId: string,
  value: Record<string, unknown>,
): Accepted => ({
  kind: 'accepted',
  record: {
    topic: `hub.node.${origin}.out`,
    partition: 0,
    offset: String(++offset),
    key: subjectId,
    bytes: Buffer.alloc(0),
  },
  envelope: { messageId: randomUUID(), messageType, origin } as Envelope,
  signer: { fingerprint: 'f', country: origin, agency: 'customs', certificatePem: '' },
  sha256: 'd',
  value,
  subjectId,
  subjectVersion: typeof value.version === 'number' ? value.version : null,
});

const renewal = (origin: string, subjectId: string, subjectType = 'SeizureReport') =>
  accepted(origin, 'RetentionRenewal', subjectId, {
    renewalId: randomUUID(),
    subjectType,
    subjectId,
    reason: 'case still open in court',
    requestedAt: Date.UTC(2026, 11, 7),
  });

const stored = (subjectId: string, originCountry: string, subjectType = 'SeizureReport') => ({
  _id: subjectId,
  subjectType,
  originCountry,
  category: 'seizure',
});

describe('coordinator: retention renewals checked against the store', () => {
  it('takes a renewal of a record its sender keeps there, of the kind it names', async () => {
    const reportId = randomUUID();
    const returnId = randomUUID();
    const outcomes = [renewal('KZ', reportId), renewal('KZ', returnId, 'AnnualSeizureReturn')];
    const checked = await checkRenewals(
      memoryStore([stored(reportId, 'KZ'), stored(returnId, 'KZ', 'AnnualSeizureReturn')]),
      outcomes,
    );
    expect(checked).to.deep.equal(outcomes);
  });

  it('refuses, naming the id and the rule, a renewal of no record kept, another country’s, or of another kind', async () => {
    const mistyped = randomUUID();
    const uzReport = randomUUID();
    const annual = randomUUID();
    const outcomes = [
      renewal('KZ', mistyped),
      renewal('KZ', uzReport),
      renewal('KZ', annual, 'SeizureReport'),
    ];
    const checked = await checkRenewals(
      memoryStore([stored(uzReport, 'UZ'), stored(annual, 'KZ', 'AnnualSeizureReturn')]),
      outcomes,
    );
    expect(checked.map((o) => o.kind)).to.deep.equal(['rejected', 'rejected', 'rejected']);
    const [none, foreign, kind] = checked as Rejected[];
    expect(none).to.deep.include({
      reason: 'invalid-content',
      record: outcomes[0]!.record,
      envelope: outcomes[0]!.envelope,
      detail: `subjectId: the hub keeps no record ${mistyped} to renew (none was stored under this id, or it was erased)`,
    });
    expect(none!.fields).to.deep.equal([
      {
        field: 'subjectId',
        message: `the hub keeps no record ${mistyped} to renew (none was stored under this id, or it was erased)`,
        value: mistyped,
      },
    ]);
    expect(foreign).to.deep.include({
      reason: 'country-mismatch',
      detail: `subjectId: ${uzReport} is a record of UZ: only UZ may renew it`,
    });
    expect(kind).to.deep.include({
      reason: 'invalid-content',
      detail: `subjectType: must be AnnualSeizureReturn, the kind of record ${annual} is`,
    });
    expect(kind!.fields).to.deep.equal([
      {
        field: 'subjectType',
        message: `must be AnnualSeizureReturn, the kind of record ${annual} is`,
        value: 'SeizureReport',
      },
    ]);
  });

  it('counts a record first stored by the same batch as kept, by its sender and kind (a replay reads both together)', async () => {
    const reportId = randomUUID();
    const report = accepted('KZ', 'SeizureReport', reportId, { reportId, version: 1 });
    const mine = renewal('KZ', reportId);
    const theirs = renewal('UZ', reportId);
    const checked = await checkRenewals(memoryStore([]), [report, mine, theirs]);
    expect(checked[0]).to.equal(report);
    expect(checked[1]).to.equal(mine);
    expect(checked[2]).to.deep.include({ kind: 'rejected', reason: 'country-mismatch' });
    // An entry stored already decides, as registerRetention keeps it.
    const again = await checkRenewals(memoryStore([stored(reportId, 'UZ')]), [report, mine]);
    expect(again[1]).to.deep.include({ kind: 'rejected', reason: 'country-mismatch' });
  });

  it('leaves every other message as it is, reading nothing without a renewal', async () => {
    const reportId = randomUUID();
    const others: Outcome[] = [
      accepted('KZ', 'SeizureReport', reportId, { reportId, version: 1 }),
      {
        kind: 'rejected',
        record: renewal('KZ', reportId).record,
        reason: 'malformed',
        detail: 'no envelope',
      },
    ];
    const untouchable = { collection: () => expect.fail('the store is not read') } as unknown as Store;
    expect(await checkRenewals(untouchable, others)).to.equal(others);
  });
});

describe('coordinator: retention renewals applied', function () {
  this.timeout(30000);
  const registry = loadSchemaRegistry();
  const pki = testPki();
  const signer = createSigner({
    privateKey: pki.hub.key,
    certificate: pki.hub.cert.certificatePem,
    origin: 'HUB',
  });
  const NOW = Date.UTC(2026, 11, 7, 9, 0);

  /** The retention collection, as applyRenewals reads and writes it; with what it was told to write, and logged. */
  const depsWith = (docs: RetentionDoc[]) => {
    const updated: string[] = [];
    const warned: Record<string, unknown>[] = [];
    const store = {
      collection: () => ({
        find: (filter: { _id: string }) => ({
          toArray: async () => docs.filter((d) => d._id === filter._id),
        }),
        updateOne: async (filter: { _id: string }) => void updated.push(filter._id),
      }),
    } as unknown as Store;
    const deps = {
      store,
      signer,
      registry,
      names: topicNames(''),
      policy: { periods: { seizure: 1000, annual: 2000 }, warnMs: 100, checkMs: 100 },
      logger: { warn: (fields: Record<string, unknown>) => void warned.push(fields) },
      clock: () => NOW,
    } as unknown as RetentionDeps;
    return { deps, updated, warned };
  };
  const entry = (subjectId: string, subjectType: string, originCountry: string): RetentionDoc => ({
    _id: subjectId,
    subjectType,
    category: subjectType === 'AnnualSeizureReturn' ? 'annual' : 'seizure',
    originCountry,
    reviewAt: new Date(NOW + 500),
    warnedAt: new Date(NOW),
    renewals: [],
  });

  it('renews a record of its sender, of the kind named, and nothing else', async () => {
    const kept = randomUUID();
    const annual = randomUUID();
    const uz = randomUUID();
    const { deps, updated, warned } = depsWith([
      entry(kept, 'SeizureReport', 'KZ'),
      entry(annual, 'AnnualSeizureReturn', 'KZ'),
      entry(uz, 'SeizureReport', 'UZ'),
    ]);
    const notices = await applyRenewals(deps, [
      renewal('KZ', kept),
      renewal('KZ', annual, 'SeizureReport'),
      renewal('KZ', uz),
      renewal('KZ', randomUUID()),
    ]);
    expect(updated).to.deep.equal([kept]);
    expect(notices.get('hub.node.KZ.in')).to.have.length(1);
    expect(warned.map((w) => w.subjectId)).to.have.length(3);
    expect(warned[0]).to.include({ subjectId: annual, subjectType: 'SeizureReport', origin: 'KZ' });
  });
});
