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
  /** `${reportId}:${version}` → what the node normalised in that version (kept only when there was something). */
  private readonly notes = new Map<string, string[]>();
  private readonly notesFile: string;

  constructor(private readonly file: string) {
    mkdirSync(dirname(file), { recursive: true });
    this.notesFile = `${file}.normalisations.jsonl`;
    if (existsSync(this.notesFile))
      for (const line of readFileSync(this.notesFile, 'utf8').split('\n')) {
        try {
          const { id, v, notes } = JSON.parse(line) as { id: string; v: number; notes: string[] };
          this.notes.set(`${id}:${v}`, notes);
        } catch {
          // an empty or torn last line
        }
      }
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

  /** What the node normalised in a version (for the receipt), e.g. "country 'Казахстан' → KZ". */
  noteNormalisations(reportId: string, version: number, notes: string[]): void {
    if (notes.length === 0) return;
    this.notes.set(`${reportId}:${version}`, notes);
    appendFileSync(this.notesFile, `${JSON.stringify({ id: reportId, v: version, notes })}\n`);
  }

  normalisationsOf(reportId: string, version: number | null): string[] {
    return version === null ? [] : (this.notes.get(`${reportId}:${version}`) ?? []);
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
   * the outbox's unpublished envelopes are taken over, so the next post never reuses one, with the digest of the
   * body that made each, so that the same body re-sent is answered as before the crash.
   */
  reconcile(found: { reportId: string; version: number; digest?: string }[]): number {
    let fixed = 0;
    for (const f of found)
      if (f.version > this.latest(f.reportId)) {
        this.record(f.reportId, f.version, f.digest);
        fixed++;
      }
    return fixed;
  }
}
