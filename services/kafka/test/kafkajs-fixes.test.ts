// kafkajs 2.2.4's fetchers left running after their consumer stopped (src/kafkajs-fixes.ts): the loop they spin in,
// and its end once the runner's fetch is mended. kafkajs's own fetch manager runs; only the runner is stood in for.
import { expect } from 'chai';
import { createRequire } from 'node:module';
import { ConsumerStoppedError, mendRunnerFetch } from '../src/kafkajs-fixes';

const require = createRequire(import.meta.url);

interface FetchManager {
  start(): Promise<void>;
  stop(): Promise<void>;
}
const createFetchManager = require('kafkajs/src/consumer/fetchManager') as (options: {
  logger: unknown;
  getNodeIds: () => string[];
  fetch: (nodeId: string) => Promise<unknown[]>;
  handler: () => Promise<void>;
}) => FetchManager;

interface QuietLogger {
  namespace(): QuietLogger;
  debug(): void;
  info(): void;
  warn(): void;
  error(): void;
}
const quiet: QuietLogger = { namespace: () => quiet, debug() {}, info() {}, warn() {}, error() {} };
const logger = quiet;

/** Whether a 1 ms timer fired while `run` was going on: false means the event loop was starved meanwhile. */
async function timerFiredDuring(run: () => Promise<unknown>): Promise<boolean> {
  let fired = false;
  const timer = setTimeout(() => (fired = true), 1);
  const started = Date.now();
  while (Date.now() - started < 5) {
    // let the timer come due before the run starts
  }
  await run().catch(() => undefined);
  const firedDuring = fired;
  clearTimeout(timer);
  return firedDuring;
}

describe('kafkajs: fetchers of a stopped consumer', () => {
  it('spin without yielding while the runner answers [] (the fault), and end at once when it refuses (the mend)', async () => {
    // The fault: a fetch that answers [] at once, as kafkajs's runner does once stopped. Ended by us after 20,000
    // calls; in kafkajs nothing ends it.
    let calls = 0;
    const spinning = createFetchManager({
      logger,
      getNodeIds: () => ['1', '2'],
      fetch: () => {
        calls += 1;
        return calls > 20000 ? Promise.reject(new Error('ended by the test')) : Promise.resolve([]);
      },
      handler: async () => undefined,
    });
    let spunTo: unknown;
    expect(
      await timerFiredDuring(() => spinning.start().catch((e: unknown) => (spunTo = e))),
      'the loop let a timer run',
    ).to.equal(false);
    expect((spunTo as Error).message).to.equal('ended by the test');
    expect(calls).to.be.greaterThan(20000);

    // The mend: the runner's fetch, stopped, refuses; each fetcher ends after one call, and the loop yields.
    const runner = mendRunnerFetch();
    const stoppedRunner = Object.assign(Object.create(runner) as typeof runner, { running: false });
    let mendedCalls = 0;
    const ending = createFetchManager({
      logger,
      getNodeIds: () => ['1', '2'],
      fetch: (nodeId) => {
        mendedCalls += 1;
        return stoppedRunner.fetch(Number(nodeId));
      },
      handler: async () => undefined,
    });
    let error: unknown;
    await ending.start().catch((e: unknown) => (error = e));
    expect(error).to.be.instanceOf(ConsumerStoppedError);
    expect(
      (error as ConsumerStoppedError).retriable,
      'kafkajs retries it, sees the runner stopped and returns',
    ).to.equal(true);
    expect(mendedCalls).to.be.at.most(2);
  });

  it('leaves a running consumer’s fetch as it was, and is applied once however often it is asked', async () => {
    const runner = mendRunnerFetch();
    expect(mendRunnerFetch()).to.equal(runner);
    const fetched: number[] = [];
    const running = Object.assign(Object.create(runner) as typeof runner, {
      running: true,
      logger: quiet,
      instrumentationEmitter: { emit() {} },
      consumerGroup: {
        groupId: 'g',
        memberId: 'm',
        fetch: async (nodeId: number) => {
          fetched.push(nodeId);
          return ['a batch'];
        },
      },
    });
    expect(await running.fetch(7)).to.deep.equal(['a batch']);
    expect(fetched).to.deep.equal([7]);
  });
});
