// The records of chunks' locked stages (resume.ts) on the real store: written as one binary body, read back whole,
// and found by the records they name, which erasure removes.
import { expect } from 'chai';
import { decodeLockedStage, encodeLockedStage, lockedStagesNaming, type Outcome } from '@hub/coordinator';
import { COLLECTIONS, connectStore, type Store } from '@hub/store';
import { createTestEnv, type TestEnv } from '../support/env';

describe('locked-stage records in the store', function () {
  this.timeout(60000);
  let env: TestEnv;
  let store: Store;
  before(async () => {
    env = createTestEnv('locked-stages');
    store = await connectStore({ url: env.config.mongo.url, dbName: env.config.mongo.dbName });
  });
  after(async () => {
    await store?.db.dropDatabase().catch(() => undefined);
    await store?.close();
    env?.cleanup();
  });

  it('reads back what was written, and names the records that mention a subject, in handlings or alerts', async () => {
    const green = { originCountry: 'KZ', tlp: 'GREEN', releasableTo: [] } as never;
    const alert = (reportId: string) =>
      ({
        alertId: `a-${reportId}`,
        countries: ['KZ', 'UZ'],
        matched: [{ reportId }],
      }) as unknown as Parameters<typeof encodeLockedStage>[2][number];
    const body = (handled: string[], alerts: Parameters<typeof encodeLockedStage>[2]) =>
      encodeLockedStage({ '1': 'd1' }, [] as Outcome[], alerts, new Map(handled.map((id) => [id, green])));
    const stages = store.collection<{ _id: string; body: Buffer; at: Date }>(COLLECTIONS.intakeLockedStages);
    await stages.insertMany([
      { _id: 'g|t|0', body: body(['r-erased', 'r-kept'], []), at: new Date() },
      { _id: 'g|t|1', body: body(['r-other'], [alert('r-erased')]), at: new Date() },
      { _id: 'g|t|2', body: body(['r-kept'], [alert('r-kept')]), at: new Date() },
    ]);
    const read = await stages.findOne({ _id: 'g|t|1' });
    expect(decodeLockedStage(read!.body).alerts.map((a) => a.alertId)).to.deep.equal(['a-r-erased']);
    expect((await lockedStagesNaming(store, 'r-erased')).sort()).to.deep.equal(['g|t|0', 'g|t|1']);
    expect(await lockedStagesNaming(store, 'r-nobody')).to.deep.equal([]);
  });
});
