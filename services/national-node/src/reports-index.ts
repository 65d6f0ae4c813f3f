// The node's memory of its own reports: the latest version of each, so that a re-post becomes the next version.
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';

export class ReportsIndex {
  private readonly versions = new Map<string, number>();

  constructor(private readonly file: string) {
    mkdirSync(dirname(file), { recursive: true });
    if (existsSync(file)) {
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        const [id, v] = line.split(' ');
        if (id && v) this.versions.set(id, Math.max(Number(v), this.versions.get(id) ?? 0));
      }
    }
  }

  latest(reportId: string): number {
    return this.versions.get(reportId) ?? 0;
  }

  /** Reserve the next version (in memory); `record` makes it durable once the envelope is in the outbox. */
  next(reportId: string): number {
    const v = this.latest(reportId) + 1;
    this.versions.set(reportId, v);
    return v;
  }

  record(reportId: string, version: number): void {
    appendFileSync(this.file, `${reportId} ${version}\n`);
  }
}
