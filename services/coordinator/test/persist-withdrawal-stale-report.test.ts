// A withdrawal in the same batch as a report version of its id, where a route is stored under that id: the report
// version counts only if it claims its number. One the history holds already (the route's version 1) is stale, and
// leaves the withdrawal a withdrawal of the route, refused before it claims anything; one that claims a number of its
// own makes it a report's withdrawal, as before. Storing batches (persistBatch) on the store in memory.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { seizureReportFromJson } from '@hub/domain';
import { loadRegions } from '@hub/schemas';
import { COLLECTIONS } from '@hub/store';
import type { Outcome } from '../src/outcome';
import { acceptedMessage } from './accepted';
import { memoryStore, type MemoryStore } from './memory-store';
import { made, NOW, route, storedBatches } from './stored-batches';

const regions = loadRegions();

/** Version `version` of `country`'s seizure report `reportId`, as the intake accepts it. */
const report = (country: string, reportId: string, version: number) =>
  acceptedMessage(
    country,
    'SeizureReport',
    seizureReportFromJson(
      {
        reportId,
        seizedAt: '2026-12-01T09:30:00+05:00',
        country,
        agency: 'customs',
        drugs: [{ substance: 'heroin', quantity: 12.5, unit: 'kg' }],
        handling: { tlp: 'GREEN' },
      },
      made(country, version),
    ).value as unknown as Record<string, unknown>,
    reportId,
    NOW,
  );

const withdrawal = (country: string, reportId: string, version: number) =>
  acceptedMessage(
    country,
    'SeizureRetraction',
    { reportId, version, retractedAt: NOW, reason: 'entered in error', submittedBy: null },
    reportId,
    NOW,
  );

const outcomesOf = (outcomes: Outcome[]) =>
  outcomes.map((o) => [o.envelope?.messageType, o.kind === 'accepted' ? 'accepted' : o.detail]);

describe('coordinator: a withdrawal beside a report version of a route’s id', () => {
  let mem: MemoryStore;
  const { persist, history, archived } = storedBatches(() => mem, regions);

  beforeEach(() => {
    mem = memoryStore();
  });

  it('refuses the withdrawal when the report version is stale, and leaves the next number to the route', async () => {
    const id = randomUUID();
    const first = route('KZ', id, 1);
    await persist([first]);
    const asked = withdrawal('KZ', id, 2);
    const result = await persist([report('KZ', id, 1), asked]);
    expect(outcomesOf(result.outcomes)).to.deep.equal([
      ['SeizureReport', `version 1 of ${id} already exists (message ${first.envelope.messageId})`],
      [
        'SeizureRetraction',
        `reportId: ${id} is a TraffickingRoute, not a seizure report: only seizure reports are withdrawn; send a ` +
          'corrected version of the route instead (POST /v1/routes with its routeId)',
      ],
    ]);
    expect(history().has(`${id}:2`), 'version 2 not claimed').to.equal(false);
    expect(archived(asked), 'not archived').to.equal(false);
    expect(mem.docs(COLLECTIONS.reports).has(id), 'no report made of it').to.equal(false);
    // The route's own version 2 is taken.
    const next = await persist([route('KZ', id, 2, 'Northern route (corrected)')]);
    expect(outcomesOf(next.outcomes)).to.deep.equal([['TraffickingRoute', 'accepted']]);
    expect(mem.docs(COLLECTIONS.routes).get(id)).to.include({ version: 2 });
  });

  it('takes the withdrawal of a report version that claims a number of its own, as before', async () => {
    const id = randomUUID();
    await persist([route('KZ', id, 1)]);
    const result = await persist([report('KZ', id, 2), withdrawal('KZ', id, 3)]);
    expect(outcomesOf(result.outcomes)).to.deep.equal([
      ['SeizureReport', 'accepted'],
      ['SeizureRetraction', 'accepted'],
    ]);
    expect(mem.docs(COLLECTIONS.reports).get(id)).to.include({ status: 'retracted', version: 3 });
  });
});
