// What a withdrawal (SeizureRetraction) withdraws: a seizure report. One naming its sender's own trafficking route or
// annual return is refused before it claims anything (accepted, it would be kept in the history only and withdraw
// nothing: the route would stay in the views, exports and feeds). One naming an id the hub has never seen is kept in
// the history, as before, for a report re-driven from quarantine later. Storing batches on the store in memory.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { loadRegions } from '@hub/schemas';
import { COLLECTIONS } from '@hub/store';
import type { Outcome, Rejected } from '../src/outcome';
import { acceptedMessage } from './accepted';
import { memoryStore, type MemoryStore } from './memory-store';
import { annual, NOW, route, storedBatches } from './stored-batches';

const regions = loadRegions();

const withdrawal = (country: string, reportId: string, version: number) =>
  acceptedMessage(
    country,
    'SeizureRetraction',
    { reportId, version, retractedAt: NOW, reason: 'entered in error', submittedBy: null },
    reportId,
    NOW,
  );

const routeRefusal = (id: string) =>
  `${id} is a TraffickingRoute, not a seizure report: only seizure reports are withdrawn; send a corrected ` +
  'version of the route instead (POST /v1/routes with its routeId)';
const annualRefusal = (id: string) =>
  `${id} is an AnnualSeizureReturn, not a seizure report: only seizure reports are withdrawn; send a corrected ` +
  'return for its year instead (POST /v1/annual-returns), which replaces this one';

describe('coordinator: a withdrawal withdraws a seizure report, nothing else', () => {
  let mem: MemoryStore;
  const { persist, history, archived } = storedBatches(() => mem, regions);
  /** The refusal of `outcome`, as its receipt gives it. */
  const refusal = (outcome: Outcome | undefined) => {
    expect(outcome?.kind).to.equal('rejected');
    const { reason, detail, fields } = outcome as Rejected;
    return { reason, detail, fields };
  };

  beforeEach(() => {
    mem = memoryStore();
  });

  it("refuses the withdrawal of its sender's own route, claiming and storing nothing, and takes its next version", async () => {
    const routeId = randomUUID();
    await persist([route('KZ', routeId, 1)]);
    const stored = structuredClone(mem.docs(COLLECTIONS.routes).get(routeId));
    const asked = withdrawal('KZ', routeId, 2);
    const result = await persist([asked]);
    expect(refusal(result.outcomes[0])).to.deep.equal({
      reason: 'invalid-content',
      detail: `reportId: ${routeRefusal(routeId)}`,
      fields: [{ field: 'reportId', message: routeRefusal(routeId), value: routeId }],
    });
    expect(history().has(`${routeId}:2`), 'version 2 not claimed').to.equal(false);
    expect(archived(asked), 'not archived').to.equal(false);
    expect(mem.docs(COLLECTIONS.reports).has(routeId), 'no report made of it').to.equal(false);
    expect(mem.docs(COLLECTIONS.routes).get(routeId), 'the route as it was').to.deep.equal(stored);
    expect(result.feedable.size).to.equal(0);
    expect(result.changedReports).to.deep.equal([]);
    // The corrected route, as the refusal says, is taken as version 2.
    const corrected = await persist([route('KZ', routeId, 2, 'Northern route (corrected)')]);
    expect(corrected.outcomes.map((o) => o.kind)).to.deep.equal(['accepted']);
    expect(mem.docs(COLLECTIONS.routes).get(routeId)).to.include({ version: 2 });
  });

  it("refuses the withdrawal of its sender's own annual return, claiming and storing nothing", async () => {
    const first = annual('KZ', 1);
    const returnId = first.subjectId;
    await persist([first]);
    const stored = structuredClone(mem.docs(COLLECTIONS.annualReturns).get(returnId));
    const asked = withdrawal('KZ', returnId, 2);
    const result = await persist([asked]);
    expect(refusal(result.outcomes[0])).to.deep.equal({
      reason: 'invalid-content',
      detail: `reportId: ${annualRefusal(returnId)}`,
      fields: [{ field: 'reportId', message: annualRefusal(returnId), value: returnId }],
    });
    expect(history().has(`${returnId}:2`), 'version 2 not claimed').to.equal(false);
    expect(archived(asked), 'not archived').to.equal(false);
    expect(mem.docs(COLLECTIONS.annualReturns).get(returnId), 'the return as it was').to.deep.equal(stored);
    expect(result.feedable.size).to.equal(0);
  });

  it('refuses a withdrawal of a route first stored by the same batch, and stores the route', async () => {
    const routeId = randomUUID();
    const first = route('KZ', routeId, 1);
    const asked = withdrawal('KZ', routeId, 2);
    const result = await persist([first, asked]);
    expect(result.outcomes.map((o) => o.kind)).to.deep.equal(['accepted', 'rejected']);
    expect(refusal(result.outcomes[1]).detail).to.equal(`reportId: ${routeRefusal(routeId)}`);
    expect(history().has(`${routeId}:2`)).to.equal(false);
    expect(archived(asked)).to.equal(false);
    expect(mem.docs(COLLECTIONS.routes).get(routeId)).to.include({ version: 1, originCountry: 'KZ' });
  });

  it("leaves another country's withdrawal of a route to its own refusal", async () => {
    const routeId = randomUUID();
    await persist([route('KZ', routeId, 1)]);
    const result = await persist([withdrawal('UZ', routeId, 2)]);
    expect(refusal(result.outcomes[0])).to.deep.include({ reason: 'country-mismatch' });
  });

  it('keeps a withdrawal of an id the hub has never seen in the history, accepted, as before', async () => {
    const unknown = randomUUID();
    const asked = withdrawal('KZ', unknown, 2);
    const result = await persist([asked]);
    expect(result.outcomes.map((o) => o.kind)).to.deep.equal(['accepted']);
    expect(history().get(`${unknown}:2`)).to.include({ status: 'retracted', originCountry: 'KZ' });
    expect(archived(asked)).to.equal(true);
    expect(mem.docs(COLLECTIONS.reports).has(unknown)).to.equal(false);
  });
});
