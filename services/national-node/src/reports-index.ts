// The node's memory of its own reports: the latest version of each (so that a re-post becomes the next version)
// and the digest of the body that made it (so that re-sending the very same body is answered, not re-sent).
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';

interface Entry {
  version: number;
  digest?: string;
}

export class ReportsIndex {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly file: string) {
    mkdirSync(dirname(file), { recursive: true });
    if (existsSync(file)) {
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        const [id, v, digest] = line.split(' ');
        if (id && v) this.remember(id, Number(v), digest);
      }
    }
  }

  private remember(id: string, version: number, digest?: string): void {
    const have = this.entries.get(id);
    if (!have || version >= have.version) this.entries.set(id, { version, digest });
  }

  latest(reportId: string): number {
    return this.entries.get(reportId)?.version ?? 0;
  }

  /** The version made by exactly this body, if it is the latest: a re-sent request, answered idempotently. */
  sameAsLatest(reportId: string, digest: string): number | undefined {
    const e = this.entries.get(reportId);
    return e?.digest === digest ? e.version : undefined;
  }

  /** Reserve the next version (in memory); `record` makes it durable once the envelope is in the outbox. */
  next(reportId: string): number {
    const v = this.latest(reportId) + 1;
    this.entries.set(reportId, { version: v });
    return v;
  }

  record(reportId: string, version: number, digest?: string): void {
    this.remember(reportId, version, digest);
    appendFileSync(this.file, `${reportId} ${version}${digest ? ` ${digest}` : ''}\n`);
  }

  /**
   * After a crash between an envelope reaching the outbox and its version reaching this file: versions found in
   * the outbox's unpublished envelopes are taken over, so the next post never reuses one.
   */
  reconcile(found: { reportId: string; version: number }[]): number {
    let fixed = 0;
    for (const f of found)
      if (f.version > this.latest(f.reportId)) {
        this.record(f.reportId, f.version);
        fixed++;
      }
    return fixed;
  }
}
