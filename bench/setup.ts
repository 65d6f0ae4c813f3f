// What every benchmark section shares: a namespace and database of its own, a HUB_HOME with a PKI, progress lines,
// and the removal of what it created.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchQuick } from '@hub/cli/run/bench-settings';
import { runningStackPids } from '@hub/cli/stack/stack';
import { loadConfig, type HubConfig } from '@hub/config';
import { HUB_ORIGIN } from '@hub/envelope';
import { createKafka } from '@hub/kafka';
import { createLogger, type Logger } from '@hub/observability';
import { PkiStore } from '@hub/pki';

export const QUICK = benchQuick();

export const say = (s: string) => process.stderr.write(`[bench] ${s}\n`);

export interface Bench {
  home: string;
  config: HubConfig;
  logger: Logger;
  /**
   * Process ids of the store and the broker when they are the local stack's (`hub stack up`) and running, so that
   * their CPU time can be read; absent for servers elsewhere (HUB_MONGO_URL, HUB_KAFKA_BROKERS).
   */
  stackPids: { store?: number; kafka?: number };
  /** Delete the section's topics, database and home. */
  cleanup(): Promise<void>;
}

/** A fresh HUB_HOME, namespace and database for one section (`bench-<section>-<random>`). */
export function benchSection(section: string): Bench {
  const home = mkdtempSync(join(tmpdir(), `hub-bench-${section}-`));
  const base = loadConfig();
  const namespace = `bench-${section}-${randomBytes(3).toString('hex')}`;
  const config: HubConfig = {
    ...base,
    hubHome: home,
    namespace,
    mongo: { ...base.mongo, dbName: `seizurehub-${namespace}` },
  };
  const logger = createLogger(`bench-${section}`, { level: process.env.BENCH_LOG_LEVEL ?? 'error' });
  const stackPids = runningStackPids(base);
  return {
    home,
    config,
    logger,
    stackPids,
    async cleanup() {
      await dropTopics(config, logger).catch((err) =>
        say(`could not delete topics: ${(err as Error).message}`),
      );
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** The hub CA and the identities of `countries` and the coordinator, as `hub pki` would make them. */
export function benchPki(config: HubConfig, countries: string[]): PkiStore {
  const pki = new PkiStore(join(config.hubHome, 'pki'));
  pki.initCa({ bits: 2048 });
  for (const cc of [...countries, HUB_ORIGIN])
    if (!pki.hasIdentity(cc))
      pki.issue({ country: cc, agency: cc === HUB_ORIGIN ? 'bench coordinator' : `bench ${cc} customs` });
  return pki;
}

async function dropTopics(config: HubConfig, logger: Logger): Promise<void> {
  const admin = createKafka({ brokers: config.kafka.brokers, clientId: 'bench-cleanup', logger }).admin();
  await admin.connect();
  try {
    const mine = (await admin.listTopics()).filter((t) => t.startsWith(`${config.namespace}.`));
    if (mine.length) await admin.deleteTopics({ topics: mine, timeout: 30000 });
  } finally {
    await admin.disconnect();
  }
}
