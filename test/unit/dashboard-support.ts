// For unit tests of the dashboard's browser modules (services/query-api/public/*.js): importing one, and loading its
// reference data (countries, substances, regions, vocabulary labels) as the query API serves them (dashboard.ts),
// with only the network replaced.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '@hub/config';
import { countryTable, regionLabels, substanceLabels, vocabularyLabels } from '@hub/query-api/dashboard';

/** The module `name` (e.g. 'search.js') of the dashboard, as the browser loads it. */
export async function dashboardModule<T>(name: string): Promise<T> {
  return (await import(pathToFileURL(join(repoRoot, 'services', 'query-api', 'public', name)).href)) as T;
}

/** reference.js loaded with what GET /data/*.json answers (the real tables), fetch put back after. */
export async function loadDashboardReference(): Promise<void> {
  await loadReferenceFrom({
    '/data/countries.json': countryTable(),
    '/data/substances.json': substanceLabels(),
    '/data/regions.json': regionLabels(),
    '/data/vocab.json': vocabularyLabels(),
  });
}

/**
 * reference.js emptied again (no countries, substances, regions nor labels: the codes are shown), and the language
 * English, as a test file found them: the modules are loaded once for every test file of a run.
 */
export async function unloadDashboardReference(): Promise<void> {
  await loadReferenceFrom({
    '/data/countries.json': {},
    '/data/substances.json': [],
    '/data/regions.json': [],
    '/data/vocab.json': {},
  });
  (await dashboardModule<{ setLang(lang: string): void }>('i18n.js')).setLang('en');
}

async function loadReferenceFrom(data: Record<string, unknown>): Promise<void> {
  const realFetch = globalThis.fetch;
  globalThis.fetch = (async (input: string | URL) => {
    const body = data[String(input)];
    return body === undefined
      ? new Response('{}', { status: 404 })
      : new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
  }) as typeof fetch;
  try {
    const { loadReference } = await dashboardModule<{ loadReference(): Promise<void> }>('reference.js');
    await loadReference();
  } finally {
    globalThis.fetch = realFetch;
  }
}
