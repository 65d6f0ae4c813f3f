// `hub node <CC>`, `hub coordinator`, `hub api`: run one service in the foreground until SIGTERM.
import { HubError } from '@hub/errors';
import { loadConfig, type HubConfig } from '@hub/config';
import type { Command } from '../command';
import { parse, refuseExtra } from '../command';
import { countryArgument } from '../country';

/** `value` of option `option`, or `fallback` (named by `from`, the setting it comes of) when not given. */
function port(option: string, value: string | undefined, fallback: number, from: string): number {
  const n = value === undefined ? fallback : Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new HubError(
      'USAGE',
      value === undefined
        ? `${option} defaults to ${from}, which gives ${n}: not a port number (0-65535); give ${option} or change the setting`
        : `${option} must be a port number (0-65535), got ${JSON.stringify(value)}`,
    );
  return n;
}

const forever = () => new Promise<number>(() => undefined);

/**
 * The port `hub node <cc>` listens on: --port, or HUB_NODE_BASE_PORT (8101) whatever the country, as documented, so
 * that a deployment's node keeps its port. `hub start` gives each node its own port with --port.
 */
export function nodePort(config: Pick<HubConfig, 'nodeBasePort'>, given: string | undefined): number {
  return port('--port', given, config.nodeBasePort, 'HUB_NODE_BASE_PORT');
}

/**
 * Run `start`, a service listening on `port`, which `option` sets: a port another process holds (EADDRINUSE) is
 * refused as a usage error naming the port and the option, rather than ending in the listener's stack trace.
 */
export async function listeningOn(start: () => Promise<void>, port: number, option: string): Promise<void> {
  try {
    await start();
  } catch (err) {
    if ((err as NodeJS.ErrnoException)?.code !== 'EADDRINUSE') throw err;
    throw new HubError(
      'USAGE',
      `port ${port} is in use (another service or program listens on it): give a free one with ${option} <port>`,
      { cause: err },
    );
  }
}

export const nodeCommand: Command = {
  name: 'node',
  summary: 'run one national node',
  usage: `hub node <CC> [--port N]

Runs the national node of country CC (ISO alpha-2) with the key and certificate in $HUB_HOME/pki/nodes/<CC>
(create them with 'hub pki issue <CC>'). Default port: HUB_NODE_BASE_PORT (8101), whatever the country; give
--port to run several nodes on one host ('hub start' gives node i of HUB_DEMO_COUNTRIES HUB_NODE_BASE_PORT+i).`,
  async run(args) {
    const { values, positionals } = parse(args, { port: { type: 'string' } }, this.usage);
    if (!positionals[0])
      throw new HubError('USAGE', `give the node's country as an ISO alpha-2 code\nusage: ${this.usage}`);
    const cc = countryArgument(positionals[0], "the node's country", this.usage);
    refuseExtra(positionals.slice(1), 'hub node takes the country and options only', this.usage);
    const listen = nodePort(loadConfig(), values.port);
    const { runNationalNode } = await import('@hub/national-node/main');
    await listeningOn(() => runNationalNode(cc, listen), listen, '--port');
    return forever();
  },
};

export const coordinatorCommand: Command = {
  name: 'coordinator',
  summary: 'run the coordination node',
  usage: `hub coordinator [--ops-port N]

Runs the coordination node: verifies every national node's envelopes, stores, answers with receipts.
/healthz and /metrics listen on --ops-port (default HUB_API_PORT+1).`,
  async run(args) {
    const { values, positionals } = parse(args, { 'ops-port': { type: 'string' } }, this.usage);
    refuseExtra(positionals, 'hub coordinator takes options only', this.usage);
    const listen = port('--ops-port', values['ops-port'], loadConfig().apiPort + 1, 'HUB_API_PORT+1');
    const { runCoordinator } = await import('@hub/coordinator/main');
    await listeningOn(() => runCoordinator(listen), listen, '--ops-port');
    return forever();
  },
};

export const apiCommand: Command = {
  name: 'api',
  summary: 'run the query API and dashboard',
  usage: `hub api [--port N]

Runs the query API and the analyst dashboard on --port (default HUB_API_PORT, 8080).`,
  async run(args) {
    const { values, positionals } = parse(args, { port: { type: 'string' } }, this.usage);
    refuseExtra(positionals, 'hub api takes options only', this.usage);
    const listen = port('--port', values.port, loadConfig().apiPort, 'HUB_API_PORT');
    const { runQueryApi } = await import('@hub/query-api/main');
    await listeningOn(() => runQueryApi(listen), listen, '--port');
    return forever();
  },
};
