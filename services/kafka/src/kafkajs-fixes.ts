// A fault of kafkajs 2.2.4 (the last release; unmaintained) that hangs the whole process, mended where it starts.
//
// When a consumer is stopped (disconnect, or our re-subscription to new topics) while its fetchers are being rebuilt
// because the cluster's brokers changed (one died or came back: KafkaJSFetcherRebalanceError), the fetch manager
// rebuilds them after the stop has already stopped the old ones. Nothing ever stops the new fetchers: each calls
// the runner's `fetch`, which answers `[]` at once because the runner is not running, and calls it again. That loop
// never waits for anything but promises, so it starves the event loop: timers, sockets and HTTP stop, the process
// spins at 100 % of a core for good. Seen in our three-broker test (a broker killed mid-ingest while a topic tail
// was stopped), caught by a CPU profile of the hung process.
//
// The mend: a runner that is not running makes such a fetcher end (an error its fetch manager passes up). The
// runner's scheduler, the only one that sees it, finds the runner stopped and returns without a crash.
import { createRequire } from 'node:module';

interface RunnerPrototype {
  running: boolean;
  fetch(nodeId: number): Promise<unknown[]>;
}

export class ConsumerStoppedError extends Error {
  /** kafkajs retries what is retriable; its retry then sees the runner stopped and returns. */
  readonly retriable = true;
  constructor() {
    super('the consumer was stopped: its leftover fetcher ends');
    this.name = 'HubConsumerStopped';
  }
}

const MENDED = Symbol.for('hub.kafkajs.runner-fetch-mended');

/** Apply the mend to kafkajs's consumer runner (idempotent). Returns the patched prototype, for tests. */
export function mendRunnerFetch(): RunnerPrototype {
  const require = createRequire(import.meta.url);
  const Runner = require('kafkajs/src/consumer/runner') as { prototype: RunnerPrototype };
  const proto = Runner.prototype as RunnerPrototype & { [MENDED]?: true };
  if (proto[MENDED]) return proto;
  const fetch = proto.fetch;
  proto.fetch = function (this: RunnerPrototype, nodeId: number) {
    if (!this.running) return Promise.reject(new ConsumerStoppedError());
    return fetch.call(this, nodeId);
  };
  proto[MENDED] = true;
  return proto;
}

mendRunnerFetch();
