// `hub start` (npm start): the local stack, the PKI, a coordinator, demo national nodes, the query API and demo data.
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { kafkaSecretsDir, loadConfig, type HubConfig } from '@hub/config';
import { HubError } from '@hub/errors';
import { PkiStore } from '@hub/pki';
import { redactUrl } from '@hub/store';
import type { Command } from '../command';
import { parse, say, refuseExtra } from '../command';
import { canListen, withLock } from '../../stack/proc';
import { replaceSecretFile } from '../../stack/secrets';
import { stackUp } from '../../stack/stack';
import { runHub, spawnHub, stopChildren, waitHealthy, type Child } from '../../run/children';
import { wholeNumber } from '../../run/whole-number';
import { demoReports } from '../../demo/reports';
import { postDemoRequests } from '../../demo/requests';
import { agencyFetch, agencyHeaders, useClientCertificate } from '../agency-headers';

const USAGE = `hub start [--reports N] [--no-demo] [--secure]

Starts everything on this machine: the local stack (provisioned on first use), the hub CA and node certificates,
the coordinator, a national node for each demo country (HUB_DEMO_COUNTRIES, default KZ,KG,TJ,UZ,TM) on ports
HUB_NODE_BASE_PORT+i (default 8101...), the query API and dashboard on HUB_API_PORT (default 8080), and loads demo
reports and a few information requests (one answered, one open, one of the coordination node's). Prints the URLs
and a ready analyst token and writes them to $HUB_HOME/run/endpoints.json. Ctrl-C stops it.

--secure  the broker runs the security profile: TLS with a certificate from the hub CA, SASL/SCRAM-SHA-512 with
          one principal per service (passwords generated into $HUB_HOME/secrets/kafka), and the ACLs of the topic
          table, so that each national node can reach only its own country's topics (npm start -- --secure).
          A local stack already running is used whatever its kind, unless it is a plaintext one and --secure is given.`;

/** The demo's agency system of `cc` (`demo-<cc>`), its certificate issued from the hub CA the first time. */
function demoSystem(hubHome: string, cc: string): { cert: string; key: string } {
  const pki = new PkiStore(join(hubHome, 'pki'));
  const system = `demo-${cc.toLowerCase()}`;
  const dir = join(pki.dir, 'clients', cc);
  const [certFile, keyFile] = [join(dir, `${system}.crt`), join(dir, `${system}.key`)];
  if (!existsSync(certFile) || !existsSync(keyFile)) pki.issueClient({ country: cc, system });
  return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
}

async function postReports(
  nodes: Record<string, string>,
  count: number,
  log: (s: string) => void,
): Promise<number> {
  const reports = demoReports(Object.keys(nodes), count);
  let accepted = 0;
  const failures: string[] = [];
  // A few at a time: the nodes acknowledge only once each report is durable in their outbox.
  for (let i = 0; i < reports.length; i += 20) {
    const slice = reports.slice(i, i + 20);
    const results = await Promise.all(
      slice.map(async (r) => {
        const res = await agencyFetch(`${nodes[r.node]}/v1/seizures`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...agencyHeaders() },
          body: JSON.stringify(r.body),
        });
        if (res.status !== 202) failures.push(`${r.node}: ${res.status} ${(await res.text()).slice(0, 300)}`);
        return res.status === 202;
      }),
    );
    accepted += results.filter(Boolean).length;
  }
  if (failures.length) log(`${failures.length} demo reports were refused, first: ${failures[0]}`);
  return accepted;
}

/** A port one of the hub's services is to listen on, and the setting it comes from. */
interface ServicePort {
  port: number;
  what: string;
  setting: string;
}

function servicePorts(config: Pick<HubConfig, 'apiPort' | 'nodeBasePort' | 'demoCountries'>): ServicePort[] {
  return [
    { port: config.apiPort, what: 'the query API and dashboard', setting: 'HUB_API_PORT' },
    {
      port: config.apiPort + 1,
      what: "the coordinator's /healthz and /metrics, HUB_API_PORT + 1",
      setting: 'HUB_API_PORT',
    },
    ...config.demoCountries.map((cc, i) => ({
      port: config.nodeBasePort + i,
      what: `the national node ${cc}, HUB_NODE_BASE_PORT + ${i}`,
      setting: 'HUB_NODE_BASE_PORT',
    })),
  ];
}

/**
 * Refuse, before anything starts, a service port that a setting plus its offset puts past the last port (65535), as
 * `hub coordinator` does for its default --ops-port.
 */
function checkPortNumbers(config: Pick<HubConfig, 'apiPort' | 'nodeBasePort' | 'demoCountries'>): void {
  for (const { port, what, setting } of servicePorts(config))
    if (port > 65535)
      throw new HubError(
        'USAGE',
        `the port of ${what}, is ${port}: not a port number (0-65535); choose a lower ${setting}\nusage: ${USAGE}`,
      );
}

/**
 * Refuse at once, naming the port, the service and the setting, when a port the hub's services are to listen on is
 * taken, rather than a service exiting later with a line in its log.
 */
async function checkServicePorts(config: HubConfig): Promise<void> {
  checkPortNumbers(config);
  for (const { port, what, setting } of servicePorts(config))
    if (!(await canListen(port)))
      throw new HubError(
        'PORT_IN_USE',
        `port ${port} (${what}) is already in use by another program. Stop it, or choose other ports with ${setting}=<port>.`,
      );
}

/** The options of `hub start`, checked before anything starts. */
export function startOptions(args: string[]): { reports: number; demo: boolean; secure: boolean } {
  const { values, positionals } = parse(
    args,
    { reports: { type: 'string' }, 'no-demo': { type: 'boolean' }, secure: { type: 'boolean' } },
    USAGE,
  );
  refuseExtra(positionals, 'hub start takes options only', USAGE);
  return {
    reports: wholeNumber('--reports', values.reports, 300, { unit: 'reports', usage: USAGE }),
    demo: !values['no-demo'],
    secure: values.secure === true,
  };
}

/**
 * The hub CA and a node certificate for each of `countries`, made under a lock in HUB_HOME: two `hub start`s on a
 * fresh clone both found no CA and each made one, and the node certificates of the first then chained to a CA that
 * ca.crt no longer held. The second now waits, then finds the CA and the certificates. `hub`: runs `hub <args>`.
 */
export async function ensureDemoPki(
  hubHome: string,
  countries: string[],
  log: (line: string) => void,
  hub: (args: string[]) => Promise<unknown> = runHub,
): Promise<void> {
  await withLock(
    join(hubHome, 'run', 'pki.lock'),
    'making the hub CA and node certificates',
    log,
    async () => {
      await hub(['pki', 'init']);
      for (const cc of countries) await hub(['pki', 'issue', cc, '--if-missing']);
    },
    'HUB_HOME',
  );
}

/** The endpoints scripts read, a 12-hour analyst token and the store's URL among them: for this user's eyes only. */
export interface Endpoints {
  api: string;
  kafka: string;
  kafkaSecurity: 'sasl_ssl' | 'plaintext';
  mongo: string;
  nodes: Record<string, string>;
  token: string;
}

/** Write `$HUB_HOME/run/endpoints.json` (0600; run/ 0700 when made here), replaced whole. Returns its path. */
export function writeEndpoints(hubHome: string, endpoints: Endpoints): string {
  const dir = join(hubHome, 'run');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // Made before by the stack's lock, with the default mode.
  chmodSync(dir, 0o700);
  const file = join(dir, 'endpoints.json');
  replaceSecretFile(file, JSON.stringify(endpoints, null, 2));
  return file;
}

export const startCommand: Command = {
  name: 'start',
  summary: 'run the whole hub locally with demo national nodes and demo data (npm start)',
  usage: USAGE,
  async run(args) {
    const options = startOptions(args);
    const log = say('start');
    let config = loadConfig();
    await checkServicePorts(config);
    log('1/6 local stack (Kafka + MongoDB-wire store)');
    const stack = await stackUp(config, say('stack'), options.secure ? { security: 'sasl_ssl' } : {});
    config = loadConfig();
    const secured = stack.kafka.security === 'sasl_ssl';
    const logs = join(config.hubHome, 'logs');
    const children: Child[] = [];
    let stopping = false;
    const stop = async (code: number) => {
      if (stopping) return;
      stopping = true;
      await stopChildren(children, log);
      log('stopped (the local stack keeps running; `npx hub stack down` stops it)');
      process.exit(code);
    };
    process.once('SIGINT', () => void stop(0));
    process.once('SIGTERM', () => void stop(0));
    try {
      log(`2/6 PKI: hub CA and certificates for ${config.demoCountries.join(', ')}`);
      await ensureDemoPki(config.hubHome, config.demoCountries, log);
      // Again: the stack's start may have taken minutes, in which another `hub start` may have taken the ports.
      await checkServicePorts(config);

      log('3/6 coordinator');
      const coordinatorOps = config.apiPort + 1;
      const coordinator = spawnHub(
        'coordinator',
        ['coordinator', '--ops-port', String(coordinatorOps)],
        logs,
      );
      children.push(coordinator);
      await waitHealthy(coordinator, `http://127.0.0.1:${coordinatorOps}/healthz`, 90000);

      log(`4/6 national nodes ${config.demoCountries.join(', ')}`);
      const nodes: Record<string, string> = {};
      await Promise.all(
        config.demoCountries.map(async (cc, i) => {
          const port = config.nodeBasePort + i;
          const child = spawnHub(`node-${cc}`, ['node', cc, '--port', String(port)], logs);
          children.push(child);
          nodes[cc] = `${config.nodeTls ? 'https' : 'http'}://127.0.0.1:${port}`;
          // A node that takes only agency systems with certificates: the demo sends as a system of each country.
          if (config.nodeClientCertificates) useClientCertificate(nodes[cc], demoSystem(config.hubHome, cc));
          await waitHealthy(child, `${nodes[cc]}/healthz`, 90000);
        }),
      );

      log('5/6 query API and dashboard');
      const api = spawnHub('api', ['api', '--port', String(config.apiPort)], logs);
      children.push(api);
      const apiUrl = `http://127.0.0.1:${config.apiPort}`;
      await waitHealthy(api, `${apiUrl}/healthz`, 90000);

      const token = (
        await runHub([
          'token',
          '--role',
          'analyst',
          '--country',
          config.demoCountries[0] ?? 'KZ',
          '--clearance',
          'AMBER',
          '--ttl',
          String(12 * 3600),
        ])
      ).trim();
      const endpoints: Endpoints = {
        api: apiUrl,
        kafka: config.kafka.brokers.join(','),
        kafkaSecurity: secured ? 'sasl_ssl' : 'plaintext',
        mongo: config.mongo.url,
        nodes,
        token,
      };
      writeEndpoints(config.hubHome, endpoints);

      if (options.demo) {
        const n = options.reports;
        log(`6/6 demo data: posting ${n} seizure reports to the national nodes`);
        const accepted = await postReports(nodes, n, log);
        log(`${accepted} reports queued; they reach the query API within seconds`);
        const requests = await postDemoRequests(nodes, (a) => runHub(['ask', ...a]), log);
        if (requests)
          log(`${requests} information requests between the countries and from the coordination node`);
      } else {
        log('6/6 demo data skipped (--no-demo)');
      }

      process.stdout.write(
        [
          '',
          'The seizure-exchange hub is running.',
          `  Dashboard and query API  ${apiUrl}/   (OpenAPI: ${apiUrl}/openapi.json)`,
          ...Object.entries(nodes).map(([cc, url]) => `  National node ${cc}         ${url}/v1/seizures`),
          `  Kafka                    ${endpoints.kafka}${
            secured
              ? ` (SASL_SSL: TLS from the hub CA, each service its own SCRAM principal, ACLs; passwords in ${kafkaSecretsDir(config.hubHome)}/)`
              : ''
          }`,
          `  Store                    ${redactUrl(endpoints.mongo)}`,
          `  Logs                     ${logs}/`,
          `  Endpoints file           ${join(config.hubHome, 'run', 'endpoints.json')}`,
          '',
          'Analyst token (KZ, AMBER clearance, 12 h):',
          token,
          '',
          'Try:',
          `  curl -s -X POST ${nodes[config.demoCountries[0] ?? 'KZ']}/v1/seizures -H 'content-type: application/json' -d @docs/examples/minimal-report.json${
            config.nodeClientTokens
              ? ` -H "authorization: Bearer $(awk 'NF && !/^#/ { print $NF; exit }' "$HUB_NODE_TOKEN_FILE")"`
              : ''
          }`,
          `  curl -s ${apiUrl}/v1/seizures?limit=5 -H "authorization: Bearer $(node -p "require('${join(config.hubHome, 'run', 'endpoints.json')}').token")"`,
          "  npx hub token --role coordinator --country KZ --clearance RED   # for the dashboard's co-operation view:",
          '      # data quality per country, the envelopes the hub refused, and asking a country for information',
          '',
          'Press Ctrl-C to stop.',
          '',
        ].join('\n'),
      );
      // Stay up until a signal, or until a service dies.
      await new Promise<void>((resolve) => {
        for (const c of children) {
          c.process.once('exit', (code) => {
            if (!stopping) log(`${c.name} exited with code ${code}; see ${c.logFile}`);
            resolve();
          });
        }
      });
      await stop(1);
      return 1;
    } catch (err) {
      await stopChildren(children, log);
      throw err;
    }
  },
};
