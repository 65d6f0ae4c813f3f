// What the coordinator's /healthz says of its intake, kept per partition: one partition's success does not hide
// another that keeps failing, and a rebalance is no failure.
import { expect } from 'chai';
import kafkajs from 'kafkajs';
import { IntakeHealth, stoppedByRebalance, type BatchState } from '../src/intake-health';

const KZ = 'hub.node.KZ.out';
const UZ = 'hub.node.UZ.out';

/** kafkajs' error for a protocol error code, as its heartbeat or commit throws it. */
const protocolError = (type: string, code: number, message: string): Error =>
  new kafkajs.KafkaJSProtocolError({ type, code, message, retriable: false } as unknown as Error);

const batch = (state: Partial<{ running: boolean; stale: boolean }> = {}): BatchState => ({
  isRunning: () => state.running ?? true,
  isStale: () => state.stale ?? false,
});

describe('coordinator intake health', () => {
  it('is healthy until a batch fails, and names the failing partition with its error', () => {
    const health = new IntakeHealth();
    expect(health.state()).to.deep.equal({ ok: true });
    health.failed(KZ, 0, 'store unavailable');
    expect(health.state()).to.deep.equal({
      ok: false,
      detail: { failing: { [`${KZ}|0`]: 'store unavailable' } },
    });
  });

  it("stays unhealthy while a partition keeps failing, whatever other partitions' batches do", () => {
    const health = new IntakeHealth();
    health.failed(KZ, 0, 'store unavailable');
    health.succeeded(UZ, 0);
    health.succeeded(KZ, 1);
    expect(health.state().ok).to.equal(false);
    expect(health.state().detail).to.deep.equal({ failing: { [`${KZ}|0`]: 'store unavailable' } });
    health.failed(UZ, 0, 'lock timeout');
    health.succeeded(KZ, 0);
    expect(health.state()).to.deep.equal({
      ok: false,
      detail: { failing: { [`${UZ}|0`]: 'lock timeout' } },
    });
    health.succeeded(UZ, 0);
    expect(health.state()).to.deep.equal({ ok: true });
  });

  it("forgets, when the consumer joins its group again, the failures of partitions now another member's only", () => {
    const health = new IntakeHealth();
    health.failed(KZ, 0, 'store unavailable');
    health.failed(UZ, 0, 'store unavailable');
    health.failed(UZ, 1, 'store unavailable');
    // A batch that keeps failing crashes the consumer, which joins again with the same partitions: still failing.
    health.joined({ [KZ]: [0], [UZ]: [0, 1] });
    expect(health.state()).to.deep.equal({
      ok: false,
      detail: {
        failing: {
          [`${KZ}|0`]: 'store unavailable',
          [`${UZ}|0`]: 'store unavailable',
          [`${UZ}|1`]: 'store unavailable',
        },
      },
    });
    // A rebalance gives UZ's partitions to another instance: theirs to report.
    health.joined({ [KZ]: [0, 1] });
    expect(health.state()).to.deep.equal({
      ok: false,
      detail: { failing: { [`${KZ}|0`]: 'store unavailable' } },
    });
    health.joined({});
    expect(health.state()).to.deep.equal({ ok: true });
  });

  it('says the consumer is down, before any partition, until it joins again', () => {
    const health = new IntakeHealth();
    health.failed(KZ, 0, 'store unavailable');
    health.consumerDown('crashed: Connection error');
    expect(health.state()).to.deep.equal({ ok: false, detail: 'crashed: Connection error' });
    health.joined({ [UZ]: [0] });
    expect(health.state()).to.deep.equal({ ok: true });
  });

  it('takes a rebalance for what stopped a batch, not a failure', () => {
    const rebalancing = protocolError(
      'REBALANCE_IN_PROGRESS',
      27,
      'The group is rebalancing, so a rejoin is needed',
    );
    expect(rebalancing.name).to.equal('KafkaJSProtocolError');
    expect(stoppedByRebalance(rebalancing, batch())).to.equal(true);
    expect(
      stoppedByRebalance(
        protocolError('ILLEGAL_GENERATION', 22, 'Specified group generation id is not valid'),
        batch(),
      ),
    ).to.equal(true);
    // The batch no longer this member's, or the consumer stopping: whatever was thrown.
    const storeDown = new Error('connection 4 to 127.0.0.1:27017 closed');
    expect(stoppedByRebalance(storeDown, batch({ stale: true }))).to.equal(true);
    expect(stoppedByRebalance(storeDown, batch({ running: false }))).to.equal(true);
    // A failure of the intake's own, or of the broker otherwise, is one.
    expect(stoppedByRebalance(storeDown, batch())).to.equal(false);
    expect(
      stoppedByRebalance(
        protocolError('UNKNOWN_TOPIC_OR_PARTITION', 3, 'This server does not host this topic-partition'),
        batch(),
      ),
    ).to.equal(false);
    expect(stoppedByRebalance(undefined, batch())).to.equal(false);
  });
});
