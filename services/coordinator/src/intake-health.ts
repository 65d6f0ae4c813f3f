// What the coordinator's /healthz says of its intake: which partitions' last batch failed, and whether the consumer
// is down. Kept per partition, so that one partition's success does not hide another that keeps failing.

/** The part of a kafkajs batch payload that says whether the batch still belongs to this member. */
export interface BatchState {
  isRunning(): boolean;
  isStale(): boolean;
}

/** kafkajs' protocol errors that mean the group is rebalancing (its own `isRebalancing`, which it does not type). */
const REBALANCING = new Set(['REBALANCE_IN_PROGRESS', 'NOT_COORDINATOR_FOR_GROUP', 'ILLEGAL_GENERATION']);

/**
 * True when a batch stopped because its partition is being handed over (a rebalance, the consumer stopping), not
 * because the intake failed: kafkajs then throws from `heartbeat` or `commitOffsetsIfNecessary`, or the batch is
 * stale. The partition is read again by whichever member it goes to.
 */
export function stoppedByRebalance(err: unknown, batch: BatchState): boolean {
  const type = (err as { type?: unknown } | undefined)?.type;
  return (typeof type === 'string' && REBALANCING.has(type)) || !batch.isRunning() || batch.isStale();
}

export interface IntakeState {
  ok: boolean;
  /** Why the consumer is down, or the last error of each partition whose last batch failed (`topic|partition`). */
  detail?: string | { failing: Record<string, string> };
}

export class IntakeHealth {
  private readonly failing = new Map<string, string>();
  private down: string | undefined;

  /** A batch of `topic`/`partition` failed: the intake is unhealthy until that partition's next batch succeeds. */
  failed(topic: string, partition: number, message: string): void {
    this.failing.set(`${topic}|${partition}`, message);
  }

  /** A batch of `topic`/`partition` was stored and committed. */
  succeeded(topic: string, partition: number): void {
    this.failing.delete(`${topic}|${partition}`);
  }

  /** The consumer crashed or could not subscribe: unhealthy until it joins its group again. */
  consumerDown(why: string): void {
    this.down = why;
  }

  /**
   * The consumer joined its group (after a start, a rebalance or a crash), with `assigned` (topic → partitions, as
   * kafkajs' GROUP_JOIN gives its memberAssignment): the failures of partitions now another member's no longer speak
   * for this instance; those of its own partitions stand until their next batch succeeds (a batch that keeps failing
   * crashes the consumer, which joins again: the failure must not be forgotten at each join).
   */
  joined(assigned: Readonly<Record<string, readonly number[]>>): void {
    this.down = undefined;
    for (const key of [...this.failing.keys()]) {
      const at = key.lastIndexOf('|');
      if (!assigned[key.slice(0, at)]?.includes(Number(key.slice(at + 1)))) this.failing.delete(key);
    }
  }

  state(): IntakeState {
    if (this.down !== undefined) return { ok: false, detail: this.down };
    if (this.failing.size) return { ok: false, detail: { failing: Object.fromEntries(this.failing) } };
    return { ok: true };
  }
}
