// One report at a time: what is done to a report (a version accepted, a withdrawal) waits until what was begun on it
// before has settled, so that it is judged against it. Two identical bodies sent at once are then the first version
// and its duplicate, not versions 1 and 2; different reports go on side by side.

export class ReportTurns {
  /** Per report (lower-case id), the end of its queue: settles, never fails, once its last work has. */
  private readonly tails = new Map<string, Promise<void>>();

  /**
   * Run `work` on report `reportId` (any letter case: one report) once every work begun on it before has settled,
   * resolved or failed: a failure of one does not hold up the next.
   */
  run<T>(reportId: string, work: () => Promise<T>): Promise<T> {
    const key = reportId.toLowerCase();
    const before = this.tails.get(key);
    // Started at once when the report is free, so that the reports of a batch still reach the signer together.
    const result = before ? before.then(work) : work();
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Reports with work begun and not settled. */
  get busy(): number {
    return this.tails.size;
  }
}

/**
 * The turns of the records of an index: every path that hands out the index's versions (the API's acceptor and the
 * inbox folder's, annual returns and routes) takes the same turns.
 */
const turnsOfIndex = new WeakMap<object, ReportTurns>();
export function turnsOf(index: object): ReportTurns {
  let turns = turnsOfIndex.get(index);
  if (!turns) turnsOfIndex.set(index, (turns = new ReportTurns()));
  return turns;
}
