// Peak memory of each service under sustained load: the coordinator, one national node and the query API run as the
// `hub` processes an operator starts; reports go to the node and reads to the API while /proc is sampled.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@hub/config';
import { authDir, loadKeyRing, mintToken } from '@hub/query-api';
import { COLLECTIONS, connectStore } from '@hub/store';
import { childPids } from '@hub/cli/stack/proc';
import { benchNumber } from '@hub/cli/run/bench-settings';
import { freePorts } from '../test/support/servers';
import { getJson, memoryOf, type Row } from './measure';
import { agencyJson, random } from './reports';
import { benchPki, benchSection, say } from './setup';

const SECONDS = benchNumber('BENCH_MEMORY_SECONDS');
const HUB = join(repoRoot, 'scripts', 'bin', 'hub.mjs');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Service {
  name: string;
  child: ChildProcess;
  healthz: string;
}

async function waitHealthy(s: Service, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (s.child.exitCode !== null)
      throw new Error(`${s.name} exited with ${s.child.exitCode} before it was ready`);
    try {
      if ((await getJson(s.healthz)).status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${s.name} was not healthy after ${timeoutMs / 1000} s`);
    await sleep(250);
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 15000);
  await exited;
  clearTimeout(t);
}

/** VmHWM of an idle `node -e` process: what Node itself costs before any of our code. */
async function idleNodePeak(): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  await sleep(1000);
  const peak = memoryOf(child.pid as number)?.peakMiB ?? 0;
  await stop(child);
  return peak;
}

export async function memoryRows(): Promise<Row[]> {
  const bench = benchSection('memory');
  const { config, home } = bench;
  benchPki(config, ['KZ']);
  const ring = loadKeyRing(authDir(home));
  const token = mintToken(ring, {
    sub: 'bench',
    role: 'analyst',
    country: 'KZ',
    clearance: 'AMBER',
    ttlSeconds: 3600,
  });
  const env = {
    ...process.env,
    HUB_HOME: home,
    HUB_NAMESPACE: config.namespace,
    HUB_KAFKA_BROKERS: config.kafka.brokers.join(','),
    HUB_MONGO_URL: config.mongo.url,
    HUB_MONGO_URL_FILE: undefined,
    HUB_LOG_LEVEL: 'warn',
  };
  const [opsPort, nodePort, apiPort] = (await freePorts(3)) as [number, number, number];
  const start = (name: string, args: string[], port: number): Service => {
    const log = openSync(join(home, `${name}.log`), 'w');
    const child = spawn(process.execPath, [HUB, ...args], {
      env,
      cwd: repoRoot,
      stdio: ['ignore', log, log],
    });
    return { name, child, healthz: `http://127.0.0.1:${port}/healthz` };
  };
  const idle = await idleNodePeak();
  say(`memory: starting the coordinator, node KZ and the query API as processes (${config.namespace})`);
  const services = [
    start('coordinator', ['coordinator', '--ops-port', String(opsPort)], opsPort),
    start('national node KZ', ['node', 'KZ', '--port', String(nodePort)], nodePort),
    start('query API', ['api', '--port', String(apiPort)], apiPort),
  ];
  const rows: Row[] = [];
  const store = await connectStore({ url: config.mongo.url, dbName: config.mongo.dbName, appName: 'bench' });
  try {
    for (const s of services) await waitHealthy(s, 180000);
    const atRest = services.map((s) => memoryOf(s.child.pid as number)?.rssMiB ?? 0);
    say(`  ${SECONDS} s of load: batches of 100 reports to the node, searches and stats to the API`);
    const until = Date.now() + SECONDS * 1000;
    const rnd = random(0x10ad);
    let posted = 0;
    let accepted = 0;
    let reads = 0;
    const writer = async () => {
      while (Date.now() < until) {
        const batch = Array.from({ length: 100 }, () =>
          agencyJson(rnd, posted++, { now: Date.now(), years: 1, country: 'KZ', idSeed: 0x10ad }),
        );
        const res = await fetch(`http://127.0.0.1:${nodePort}/v1/seizures/batch`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(batch),
        });
        accepted += ((await res.json()) as { accepted?: number }).accepted ?? 0;
      }
    };
    const paths = [
      '/v1/seizures?country=KZ&limit=50',
      '/v1/stats?groupBy=country',
      '/v1/stats?groupBy=month&drug=heroin',
    ];
    const reader = async () => {
      while (Date.now() < until) {
        const res = await getJson(`http://127.0.0.1:${apiPort}${paths[reads++ % paths.length]}`, token);
        if (res.status !== 200) throw new Error(`API answered ${res.status}: ${JSON.stringify(res.body)}`);
      }
    };
    // On a cache miss tsx compiles in an esbuild helper process beside the service (a compiled deployment has none).
    const helperPeak = services.map(() => 0);
    const sampler = setInterval(() => {
      services.forEach((s, i) => {
        const rss = childPids(s.child.pid as number).reduce(
          (sum, pid) => sum + (memoryOf(pid)?.rssMiB ?? 0),
          0,
        );
        helperPeak[i] = Math.max(helperPeak[i] as number, rss);
      });
    }, 1000);
    await Promise.all([writer(), writer(), reader(), reader()]);
    clearInterval(sampler);
    const peaks = services.map((s) => memoryOf(s.child.pid as number)?.peakMiB ?? 0);
    const stored = await store.collection(COLLECTIONS.reports).estimatedDocumentCount();
    const load = `${SECONDS} s: ${accepted.toLocaleString('en-US')} reports accepted by the node (${(accepted / SECONDS).toFixed(0)}/s, 2 clients), ${stored.toLocaleString('en-US')} stored by the coordinator, ${reads.toLocaleString('en-US')} API reads (2 clients)`;
    services.forEach((s, i) =>
      rows.push({
        figure: `peak memory, ${s.name} (VmHWM under load)`,
        value: peaks[i] as number,
        unit: 'MiB',
        ratio: (peaks[i] as number) / idle,
        baseline: 'ratio = service / idle node',
        note:
          `${(atRest[i] as number).toFixed(0)} MiB at rest before load` +
          ((helperPeak[i] as number) > 0
            ? `; tsx's esbuild helper process +${(helperPeak[i] as number).toFixed(0)} MiB apart`
            : '') +
          (i === 0 ? `; load over ${load}` : ''),
      }),
    );
    rows.push({
      figure: '(e) raw idle `node -e` process (VmHWM)',
      value: idle,
      unit: 'MiB',
      note: 'what Node costs before any of our code',
    });
    return rows;
  } finally {
    for (const s of services) await stop(s.child);
    await store.db.dropDatabase().catch(() => undefined);
    await store.close();
    await bench.cleanup();
  }
}
