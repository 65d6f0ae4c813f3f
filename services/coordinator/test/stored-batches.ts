// Batches stored (persistBatch) on the store in memory, for the tests of whose a record is and what a withdrawal
// withdraws: a node's route and annual return as the intake accepts them, and the batches' clock.
import { annualReturnFromJson, routeReportFromJson } from '@hub/domain';
import type { Region } from '@hub/schemas';
import { COLLECTIONS } from '@hub/store';
import { persistBatch } from '../src/persist';
import type { Accepted, Outcome } from '../src/outcome';
import { acceptedMessage } from './accepted';
import type { MemoryStore } from './memory-store';

/** When the messages were made and signed; the first batch is stored a second after. */
export const NOW = Date.UTC(2026, 11, 6, 9, 0);

/** What a node's API knows as it makes version `version` of a record of `country` (no regions to release to). */
export const made = (country: string, version: number) => ({
  nodeCountry: country,
  now: NOW,
  versionOf: () => version,
  regions: new Set<string>(),
});

/** Version `version` of `country`'s route `routeId` (GREEN, one leg from TJ), as the intake accepts it. */
export const route = (country: string, routeId: string, version: number, name = 'Northern route') =>
  acceptedMessage(
    country,
    'TraffickingRoute',
    routeReportFromJson(
      { routeId, name, legs: [{ from: 'TJ', to: country }], handling: { tlp: 'GREEN' } },
      made(country, version),
    ).value as unknown as Record<string, unknown>,
    routeId,
    NOW,
  );

/**
 * Version `version` of `country`'s annual return for 2025 (GREEN, 10 kg of heroin); `returnId` as a node writing
 * straight to its topic may set it (a node's API derives it).
 */
export const annual = (country: string, version: number, returnId?: string) => {
  const value = annualReturnFromJson(
    {
      year: 2025,
      rows: [{ drugName: 'Heroin', drugGroup: 'Opioids', kilograms: 10 }],
      handling: { tlp: 'GREEN' },
    },
    made(country, version),
  ).value as unknown as Record<string, unknown>;
  if (returnId) value.returnId = returnId;
  return acceptedMessage(country, 'AnnualSeizureReturn', value, String(value.returnId), NOW);
};

/**
 * Batches stored on `mem()` (the store of the test running), each a second after the one before (the history keeps
 * when each version came); the history stored, and whether a message's envelope was archived.
 */
export function storedBatches(mem: () => MemoryStore, regions: Region[]) {
  let clock = NOW;
  return {
    persist: (outcomes: Outcome[]) => {
      const at = (clock += 1000);
      return persistBatch(mem().store, outcomes, regions, () => at);
    },
    history: () => mem().docs(COLLECTIONS.reportVersions),
    archived: (a: Accepted) => mem().docs(COLLECTIONS.envelopes).has(a.envelope.messageId),
  };
}
