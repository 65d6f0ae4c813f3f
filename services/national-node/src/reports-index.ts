// The node's memory of its own reports: the latest version of each (so that a re-post becomes the next version)
// and the digest of the body that made it (so that re-sending the very same body is answered, not re-sent).
// Appends are not fsynced one by one: the outbox, which holds the same facts durably, asks for `sync()` before it
// forgets published records, so that a power loss never takes a version whose envelope may have been published.
import { closeSync, fdatasyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { eachLine, readJsonLines } from './json-lines';

interface Entry {
  version: number;
  digest?: string;
  /** The envelope that version went in (kept with the digest: what a re-sent body is answered with). */
  messageId?: string;
  /** When the node took that version (ms; unknown in lines written before 2026-12-06; after a crash, when found). */
  sentAt?: number;
  /** Where the record stands in the order records were first sent (0: the first ever). */
  position: number;
}

export class ReportsIndex {
  /** Versions put in the outbox: what the node has sent. */
  private readonly entries = new Map<string, Entry>();
  /** Each record's id at its position: the order records were first sent. */
  private readonly order: string[] = [];
  /**
   * Versions handed out and not recorded (yet, or ever: the sending failed after the body was read, e.g. with the
   * certificate expired). Never given twice, but not counted as sent.
   */
  private readonly reserved = new Map<string, number>();
  /** Ids held in a spelling with capitals (taken as given before 2026-12-07), by their lower-case form. */
  private readonly spelled = new Map<string, string>();
  /** `${reportId}:${version}` → what the node normalised in that version (kept only when there was something). */
  private readonly notes = new Map<string, string[]>();
  private readonly notesFile: string;
  private fd = -1;
  private notesFd = -1;
  private dirty = false;
  private readonly changeListeners: ((reportId: string) => void)[] = [];

  constructor(private readonly file: string) {
    mkdirSync(dirname(file), { recursive: true });
    this.notesFile = `${file}.normalisations.jsonl`;
    readJsonLines<{ id: string; v: number; notes: string[] }>(this.notesFile, ({ id, v, notes }) =>
      this.notes.set(`${id}:${v}`, notes),
    );
    const { ended } = eachLine(file, (line) => {
      const [id, v, digest, messageId, at] = line.split(' ');
      const version = Number(v);
      // '-': a version sent without a body digest (a retraction, a route, a return), with its envelope's id.
      if (id && Number.isInteger(version) && version > 0)
        this.remember(
          id,
          version,
          digest === '-' ? undefined : digest,
          messageId,
          at ? Number(at) : undefined,
        );
    });
    this.fd = openSync(file, 'a');
    this.notesFd = openSync(this.notesFile, 'a');
    // A line torn by a crash is ended, so that the next one is read whole.
    if (!ended) this.append(this.fd, '\n');
  }

  private append(fd: number, line: string): void {
    const buf = Buffer.from(line, 'utf8');
    let written = 0;
    while (written < buf.length) written += writeSync(fd, buf, written);
    this.dirty = true;
  }

  /** Make every line written so far durable (a no-op when nothing was written since the last call). */
  sync(): void {
    if (!this.dirty || this.fd < 0) return;
    this.dirty = false;
    fdatasyncSync(this.fd);
    fdatasyncSync(this.notesFd);
  }

  close(): void {
    if (this.fd < 0) return;
    this.sync();
    closeSync(this.fd);
    closeSync(this.notesFd);
    this.fd = this.notesFd = -1;
  }

  private remember(id: string, version: number, digest?: string, messageId?: string, sentAt?: number): void {
    const have = this.entries.get(id);
    if ((this.reserved.get(id) ?? Infinity) <= version) this.reserved.delete(id);
    if (have && version < have.version) return;
    const position = have ? have.position : this.order.push(id) - 1;
    const lower = id.toLowerCase();
    if (id !== lower && !this.spelled.has(lower)) this.spelled.set(lower, id);
    this.entries.set(id, { version, digest, messageId, sentAt, position });
    for (const l of this.changeListeners) l(id);
  }

  /** Called with a record's id whenever a version of it is recorded as sent. */
  onChange(listener: (reportId: string) => void): void {
    this.changeListeners.push(listener);
  }

  /** Every record this node has sent, in the order each was first sent (not those whose sending failed). */
  ids(): string[] {
    return [...this.order];
  }

  /** How many records this node has sent. */
  get size(): number {
    return this.order.length;
  }

  /** The record first sent at `position` (0: the first ever, `size - 1`: the newest). */
  idAt(position: number): string | undefined {
    return this.order[position];
  }

  /** Where a record stands in the order records were first sent (undefined: never sent). */
  /**
   * The id under which this node holds the record `id` names, whatever its letter case: ids are taken in lower case,
   * but until 2026-12-07 they were kept as the agency gave them, and the hub holds those as they were sent; a later
   * version, a withdrawal or a renewal must name them so. The id itself when held so, else its lower-case form.
   */
  idOf(id: string): string {
    if (this.entries.has(id)) return id;
    const lower = id.toLowerCase();
    return this.entries.has(lower) || this.reserved.has(lower) ? lower : (this.spelled.get(lower) ?? lower);
  }

  positionOf(reportId: string): number | undefined {
    return this.entries.get(reportId)?.position;
  }

  latest(reportId: string): number {
    return this.entries.get(reportId)?.version ?? 0;
  }

  /** The envelope of the latest version sent (unknown only for versions recorded before 2026-12-06). */
  messageIdOf(reportId: string): string | undefined {
    return this.entries.get(reportId)?.messageId;
  }

  /** When the node took the latest version (ms), when known. */
  sentAtOf(reportId: string): number | undefined {
    return this.entries.get(reportId)?.sentAt;
  }

  /** The version made by exactly this body, if it is the latest: a re-sent request, answered idempotently. */
  sameAsLatest(reportId: string, digest: string): { version: number; messageId?: string } | undefined {
    const e = this.entries.get(reportId);
    return e?.digest === digest ? { version: e.version, messageId: e.messageId } : undefined;
  }

  /** What the node normalised in a version (for the receipt), e.g. "country 'Казахстан' → KZ". */
  noteNormalisations(reportId: string, version: number, notes: string[]): void {
    if (notes.length === 0) return;
    this.notes.set(`${reportId}:${version}`, notes);
    this.append(this.notesFd, `${JSON.stringify({ id: reportId, v: version, notes })}\n`);
  }

  normalisationsOf(reportId: string, version: number | null): string[] {
    return version === null ? [] : (this.notes.get(`${reportId}:${version}`) ?? []);
  }

  /** Reserve the next version (in memory); `record` makes it durable once the envelope is in the outbox. */
  next(reportId: string): number {
    const v = Math.max(this.latest(reportId), this.reserved.get(reportId) ?? 0) + 1;
    this.reserved.set(reportId, v);
    return v;
  }

  /** `sentAt`: when the node took it (now, for a version sent with its envelope's id). */
  record(
    reportId: string,
    version: number,
    digest?: string,
    messageId?: string,
    sentAt: number | undefined = messageId ? Date.now() : undefined,
  ): void {
    this.remember(reportId, version, digest, messageId, sentAt);
    const made = messageId
      ? ` ${digest ?? '-'} ${messageId}${sentAt === undefined ? '' : ` ${sentAt}`}`
      : digest
        ? ` ${digest}`
        : '';
    this.append(this.fd, `${reportId} ${version}${made}\n`);
  }

  /**
   * After a crash between an envelope reaching the outbox and its version reaching this file: versions found in
   * the outbox's unpublished envelopes are taken over, so the next post never reuses one, with the digest of the
   * body that made each, so that the same body re-sent is answered as before the crash, and what the node
   * normalised in it, so that its receipt still says so.
   */
  reconcile(
    found: { reportId: string; version: number; digest?: string; messageId?: string; notes?: string[] }[],
  ): number {
    let fixed = 0;
    for (const f of found)
      if (f.version > this.latest(f.reportId)) {
        this.record(f.reportId, f.version, f.digest, f.messageId);
        if (f.notes && !this.notes.has(`${f.reportId}:${f.version}`))
          this.noteNormalisations(f.reportId, f.version, f.notes);
        fixed++;
      }
    this.sync();
    return fixed;
  }
}
