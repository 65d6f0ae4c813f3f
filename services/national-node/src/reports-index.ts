// The node's memory of its own reports: the latest version of each (so that a re-post becomes the next version)
// and the digest of the body that made it (so that re-sending the very same body is answered, not re-sent).
// Appends are not fsynced one by one: the outbox, which holds the same facts durably, asks for `sync()` before it
// forgets published records, so that a power loss never takes a version whose envelope may have been published. A
// line whose write or flush fails (a full or failing disk) is kept, and written again, on a line of its own, before the
// next and by `sync()`, which throws while any is unwritten: the outbox then keeps the records to rebuild it from.
// A record erased at retention review (`erase`) keeps its version number here (no content: a re-post must not start
// again at a version the hub passes over unanswered), and loses what the node noted of its versions' normalisations.
// Each line names the kind of message its version went as (from 2026-12-08): so the node knows a route or an annual
// return from a report (only reports are withdrawn), and which body a withdrawal withdrew (the same body sent again
// after it would put the report back).
import { closeSync, fdatasyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { HubError } from '@hub/errors';
import type { ErasureOrder } from './erasure-order';
import { discardUnfinishedRewrite, eachLine, readJsonLines, rewriteLines } from './json-lines';

/**
 * Records whose id is the agency's to choose: one erased is reported again under a new id. An annual return's id is
 * made of its country and year (`annualReturnId`): the year's return sent again after its erasure can have no other,
 * and goes as the version after those erased (the hub keeps it as a new record).
 */
const ID_CHOSEN_BY_AGENCY = new Set(['SeizureReport', 'TraffickingRoute']);

/** The kinds of record whose versions the index keeps. */
export type RecordKind = 'SeizureReport' | 'TraffickingRoute' | 'AnnualSeizureReturn';
/** What a version went as: a version of a record, or the withdrawal of a report. */
export type VersionType = RecordKind | 'SeizureRetraction';
const RECORD_KINDS: ReadonlySet<string> = new Set<RecordKind>([
  'SeizureReport',
  'TraffickingRoute',
  'AnnualSeizureReturn',
]);
const isVersionType = (t: unknown): t is VersionType =>
  RECORD_KINDS.has(t as string) || t === 'SeizureRetraction';

/** A report's latest version is its withdrawal (`at`), and `withdrew` is the version before (unknown: not known). */
interface Withdrawal {
  at: number;
  withdrew?: { version: number; digest?: string };
}

/** What a record's last lower version was: what a withdrawal (or the same withdrawal written again) follows. */
interface Before {
  version: number;
  digest?: string;
  withdrawn?: Withdrawal;
}

interface Entry {
  version: number;
  digest?: string;
  /** The envelope that version went in (kept with the digest: what a re-sent body is answered with). */
  messageId?: string;
  /**
   * When the node took that version (ms; unknown in lines written before 2026-12-06 and in those cut short; after a
   * crash, when the outbox took it, or else when it was found there).
   */
  sentAt?: number;
  /** Where the record stands in the order records were first sent (0: the first ever). */
  position: number;
  /** The record's kind, as the latest version that named one said (unknown for lines written before 2026-12-08). */
  kind?: RecordKind;
  /** What the latest version went as, when its line said (from 2026-12-08). */
  type?: VersionType;
  /** Set while the latest version is a withdrawal. */
  withdrawn?: Withdrawal;
  /**
   * Read from a line a failed write or a crash cut short (the file's unfinished last line, one whose sending time is
   * cut, or one without the type that the record's lines say from 2026-12-08 on): any field may be cut.
   * `reconcile` replaces it from the outbox.
   */
  partWritten?: boolean;
  /**
   * The record's last lower version (none: this is its first). Kept whatever replaces the same version (a line cut
   * anywhere, then written again whole; the same line written twice): the withdrawal it makes always follows it.
   */
  before?: Before;
}

/**
 * No version was sent before 2026 (sending times are written from 2026-12-06 on): a time before is the fragment of one
 * cut short by a failed write (`…msgA 179` of `…msgA 1796…`; a whole one has 13 digits until the year 2286).
 */
const EARLIEST_SENT_AT = Date.UTC(2026, 0, 1);

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
  /** The index's lines (reports.idx) and the notes' (reports.idx.normalisations.jsonl); undefined once closed. */
  private lines: LineFile | undefined;
  private notesLines: LineFile | undefined;
  private readonly changeListeners: ((reportId: string) => void)[] = [];
  /** Records erased at retention review, by id: the latest order of each. */
  private readonly erased = new Map<string, ErasureOrder>();
  /** Notes were forgotten that the notes file still holds: `compactNotes` rewrites it. */
  private notesStale = false;

  constructor(private readonly file: string) {
    mkdirSync(dirname(file), { recursive: true });
    this.notesFile = `${file}.normalisations.jsonl`;
    discardUnfinishedRewrite(this.notesFile);
    readJsonLines<{ id: string; v: number; notes: string[] }>(this.notesFile, ({ id, v, notes }) =>
      this.notes.set(`${id}:${v}`, notes),
    );
    // The entry the last line made, and the one it replaced: the last line may turn out to be unfinished.
    let last: { id: string; entry: Entry; before: Entry | undefined } | undefined;
    const { ended } = eachLine(file, (line) => {
      last = undefined;
      const [id, v, digest, messageId, at, type] = line.split(' ');
      const version = Number(v);
      if (!id || !Number.isInteger(version) || version <= 0) return;
      const sentAt = at === undefined ? undefined : Number(at);
      const before = this.entries.get(id);
      // Cut in its time, or without the type the record's lines say from 2026-12-08 on (cut in or before it): a
      // fragment, whatever field the cut fell in (`…m2 1796`, `…m2`, `…SeizureRetr`).
      const cut =
        (sentAt !== undefined && !(Number.isSafeInteger(sentAt) && sentAt >= EARLIEST_SENT_AT)) ||
        (before?.type !== undefined && !isVersionType(type));
      // A fragment never replaces the same version read whole (a line written again after a failed flush, say).
      if (cut && before?.version === version && !before.partWritten) return;
      // '-': a version sent without a body digest (a retraction, a route, a return), with its envelope's id.
      this.remember(
        id,
        version,
        digest === '-' ? undefined : digest,
        messageId,
        cut ? undefined : sentAt,
        cut || !isVersionType(type) ? undefined : type,
      );
      const entry = this.entries.get(id);
      if (entry?.version !== version) return;
      if (cut) entry.partWritten = true;
      last = { id, entry, before };
    });
    if (!ended && last) {
      // The unfinished last line: what it holds may be cut anywhere (its time, its message id).
      const { id, entry, before } = last;
      if (before?.version === entry.version && !before.partWritten) this.entries.set(id, before);
      else entry.partWritten = true;
    }
    // A line torn by a crash is ended before the next, so that the next one is read whole.
    this.lines = new LineFile(file, { ended });
    this.notesLines = new LineFile(this.notesFile);
  }

  private append(lines: LineFile | undefined, line: string): void {
    if (!lines) throw new HubError('INDEX_CLOSED', `the version index ${this.file} is closed`);
    lines.append(line);
  }

  /**
   * Make every line so far durable: those whose write failed written again, then flushed (a no-op when nothing was
   * written since the last call). Throws while any cannot be written or flushed.
   */
  sync(): void {
    this.lines?.sync();
    this.notesLines?.sync();
  }

  /** Lines recorded whose write failed and that are not on the disk yet (written again by `sync`). */
  get unwritten(): number {
    return (this.lines?.unwritten ?? 0) + (this.notesLines?.unwritten ?? 0);
  }

  /**
   * Sync and close the files. Throws, once they are closed, when lines could not be written: the outbox still holds
   * their records (its cursor never passed them), and the next start takes them back from it.
   */
  close(): void {
    const { lines, notesLines } = this;
    if (!lines || !notesLines) return;
    this.lines = this.notesLines = undefined;
    try {
      lines.sync();
      notesLines.sync();
    } finally {
      lines.close();
      notesLines.close();
    }
  }

  private remember(
    id: string,
    version: number,
    digest?: string,
    messageId?: string,
    sentAt?: number,
    type?: VersionType,
  ): void {
    const have = this.entries.get(id);
    if ((this.reserved.get(id) ?? Infinity) <= version) this.reserved.delete(id);
    if (have && version < have.version) return;
    const position = have ? have.position : this.order.push(id) - 1;
    const lower = id.toLowerCase();
    if (id !== lower && !this.spelled.has(lower)) this.spelled.set(lower, id);
    const entry: Entry = { version, digest, messageId, sentAt, position };
    // The same version again (written whole after a fragment, or twice) follows what it followed the first time.
    const before = have && (have.version < version ? snapshot(have) : have.before);
    if (before) entry.before = before;
    if (type) entry.type = type;
    // A withdrawal says nothing of the kind: the record keeps the one its versions said.
    const kind = type !== undefined && RECORD_KINDS.has(type) ? (type as RecordKind) : have?.kind;
    if (kind) entry.kind = kind;
    if (type === 'SeizureRetraction') entry.withdrawn = withdrawalAt(version, before);
    this.entries.set(id, entry);
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

  /**
   * The version made by exactly this body, if it is the latest: a re-sent request, answered idempotently. Not once the
   * record was erased: the hub holds nothing of it any more (`next` says so).
   */
  sameAsLatest(reportId: string, digest: string): { version: number; messageId?: string } | undefined {
    const e = this.entries.get(reportId);
    if (this.erasureOf(reportId)) return undefined;
    return e?.digest === digest ? { version: e.version, messageId: e.messageId } : undefined;
  }

  /**
   * The record's kind, as its versions said (undefined: it was never sent, or only in lines written before 2026-12-08,
   * which do not say).
   */
  kindOf(reportId: string): RecordKind | undefined {
    return this.entries.get(reportId)?.kind;
  }

  /**
   * When the report's latest version withdrew it and the version it withdrew was made by exactly this body: which that
   * was (`version`), the withdrawal's version (`withdrawnAt`) and envelope. The same body sent again (a retry of the
   * original request, a file imported again) would put the withdrawn report back. Only the version just before the
   * withdrawal is known (the index keeps one digest per version it keeps); not once the record was erased.
   */
  sameAsWithdrawn(
    reportId: string,
    digest: string,
  ): { version: number; withdrawnAt: number; withdrawalMessageId?: string } | undefined {
    const e = this.entries.get(reportId);
    const withdrew = e?.withdrawn?.withdrew;
    if (!e?.withdrawn || withdrew?.digest !== digest || this.erasureOf(reportId)) return undefined;
    return { version: withdrew.version, withdrawnAt: e.withdrawn.at, withdrawalMessageId: e.messageId };
  }

  /**
   * Forget a record erased at retention review (the coordinator's order, for this country's record): what the node
   * noted of its erased versions' normalisations (from the notes file at `compactNotes`), not its version number.
   */
  erase(order: ErasureOrder): void {
    const id = order.subjectId;
    const known = this.erased.get(id);
    if (!known || order.versionsUpTo >= known.versionsUpTo) this.erased.set(id, order);
    // Notes are only made for versions recorded: none beyond the latest.
    const last = Math.min(order.versionsUpTo, this.latest(id));
    for (let v = 1; v <= last; v++) if (this.notes.delete(`${id}:${v}`)) this.notesStale = true;
  }

  /**
   * The order that erased the record, while the record stands erased: no version was sent after those it erased (one
   * sent after, taken by the hub as a new record, makes it a record again).
   */
  erasureOf(reportId: string): ErasureOrder | undefined {
    const order = this.erased.get(reportId);
    return order && this.latest(reportId) <= order.versionsUpTo ? order : undefined;
  }

  /**
   * Rewrites the notes file without what `erase` forgot (crash-safe: the old file or the new one, whole). A no-op when
   * nothing was forgotten since. The file holds no offsets anyone keeps and is rewritten from memory: cheap enough to
   * run as erasures come (the node runs it once per batch of messages from the coordinator).
   */
  compactNotes(): boolean {
    if (!this.notesStale) return false;
    rewriteLines(this.notesFile, (line) => {
      for (const [key, notes] of this.notes) {
        const at = key.lastIndexOf(':');
        line(JSON.stringify({ id: key.slice(0, at), v: Number(key.slice(at + 1)), notes }));
      }
    });
    // Appends go to the new file from now on; it holds every note in memory, those whose write had failed too.
    this.notesLines?.reopen();
    this.notesStale = false;
    return true;
  }

  /** What the node normalised in a version (for the receipt), e.g. "country 'Казахстан' → KZ". */
  noteNormalisations(reportId: string, version: number, notes: string[]): void {
    // Nor of a version erased (found again in the outbox after an interrupted stop, say).
    if (notes.length === 0 || version <= (this.erased.get(reportId)?.versionsUpTo ?? 0)) return;
    this.notes.set(`${reportId}:${version}`, notes);
    this.append(this.notesLines, JSON.stringify({ id: reportId, v: version, notes }));
  }

  normalisationsOf(reportId: string, version: number | null): string[] {
    return version === null ? [] : (this.notes.get(`${reportId}:${version}`) ?? []);
  }

  /**
   * The refusal `next` throws for a record erased at retention review whose id is the agency's to choose (CONFLICT,
   * rule ERASED_RULE, with its erasureId), else undefined: asked first by what refuses for other reasons too (a
   * withdrawal of a route), so that an erased record is answered as erased.
   */
  erasedRefusalOf(reportId: string): HubError | undefined {
    const erasure = this.erasureOf(reportId);
    return erasure && ID_CHOSEN_BY_AGENCY.has(erasure.subjectType)
      ? erasedRefusal(reportId, erasure)
      : undefined;
  }

  /**
   * Reserve the next version (in memory); `record` makes it durable once the envelope is in the outbox. A record erased
   * at retention review is refused (CONFLICT) when its id is the agency's to choose: the hub holds none of it, and the
   * new content is a new report, under a new id. An annual return (its id is its year's) goes on after the versions
   * erased: never one the hub would pass over unanswered as erased.
   */
  next(reportId: string): number {
    const refusal = this.erasedRefusalOf(reportId);
    if (refusal) throw refusal;
    const erasure = this.erasureOf(reportId);
    const v =
      Math.max(this.latest(reportId), this.reserved.get(reportId) ?? 0, erasure?.versionsUpTo ?? 0) + 1;
    this.reserved.set(reportId, v);
    return v;
  }

  /**
   * `sentAt`: when the node took it (now, for a version sent with its envelope's id). `type`: what the version went as
   * (the message type), written after its time (so only with it).
   */
  record(
    reportId: string,
    version: number,
    digest?: string,
    messageId?: string,
    sentAt: number | undefined = messageId ? Date.now() : undefined,
    type?: VersionType,
  ): void {
    const typed = messageId && sentAt !== undefined ? type : undefined;
    this.remember(reportId, version, digest, messageId, sentAt, typed);
    const made = messageId
      ? ` ${digest ?? '-'} ${messageId}${sentAt === undefined ? '' : ` ${sentAt}`}${typed ? ` ${typed}` : ''}`
      : digest
        ? ` ${digest}`
        : '';
    this.append(this.lines, `${reportId} ${version}${made}`);
  }

  /**
   * After a crash between an envelope reaching the outbox and its version reaching this file: versions found in
   * the outbox's unpublished envelopes are taken over, so the next post never reuses one, with the digest of the
   * body that made each, so that the same body re-sent is answered as before the crash, and what the node
   * normalised in it, so that its receipt still says so. A version held from another envelope than the outbox's, or
   * read from a line cut short (the fragment of a line whose write failed, read as far as it went), is taken over too,
   * with `sentAt` (when the outbox took the record; else now). The notes of every record found are taken back when
   * not held, its version held or not: a full disk may have had room for the short index line and not for the notes.
   * `type`: the envelope's message type (one the index does not keep is left out). Returns how many versions were
   * taken over.
   */
  reconcile(
    found: {
      reportId: string;
      version: number;
      digest?: string;
      messageId?: string;
      notes?: string[];
      sentAt?: number;
      type?: string;
    }[],
  ): number {
    let fixed = 0;
    for (const f of found) {
      const held = this.entries.get(f.reportId);
      const latest = held?.version ?? 0;
      const torn =
        f.version === latest &&
        (held?.partWritten === true || (f.messageId !== undefined && held?.messageId !== f.messageId));
      if (f.version > latest || torn) {
        this.record(
          f.reportId,
          f.version,
          f.digest,
          f.messageId,
          f.sentAt,
          isVersionType(f.type) ? f.type : undefined,
        );
        fixed++;
      }
      // Not those of an erased version (`noteNormalisations` refuses them).
      if (f.notes && !this.notes.has(`${f.reportId}:${f.version}`))
        this.noteNormalisations(f.reportId, f.version, f.notes);
    }
    this.sync();
    return fixed;
  }
}

/** What of an entry the record's next version keeps (not the entry itself: no chain of every version is held). */
function snapshot(entry: Entry): Before {
  const s: Before = { version: entry.version };
  if (entry.digest !== undefined) s.digest = entry.digest;
  if (entry.withdrawn) s.withdrawn = entry.withdrawn;
  return s;
}

/**
 * What a withdrawal at `version` withdrew, after `before` (the record's last lower version): that version, or, when
 * it was a withdrawal too, what that one withdrew.
 */
function withdrawalAt(version: number, before: Before | undefined): Withdrawal {
  if (!before) return { at: version };
  const withdrew = before.withdrawn
    ? before.withdrawn.withdrew
    : { version: before.version, digest: before.digest };
  return withdrew ? { at: version, withdrew } : { at: version };
}

/** The rule a refusal of a record erased at retention review names (its details' `rule`, beside its `erasureId`). */
export const ERASED_RULE = 'erased at retention review';

/** The answer to a new version (or a withdrawal) of a record erased at retention review. */
function erasedRefusal(reportId: string, order: ErasureOrder): HubError {
  const at = Number.isFinite(order.orderedAt) ? ` on ${new Date(order.orderedAt).toISOString()}` : '';
  return new HubError(
    'CONFLICT',
    `${reportId} was erased at retention review${at} (erasure ${order.erasureId}, ${order.reasonCode}, versions 1 to ${order.versionsUpTo}): the hub and this node keep nothing of it, and this node sends nothing more under its id; to report it again, send it under a new id (or without one)`,
    {
      details: {
        field: 'reportId',
        value: reportId,
        rule: ERASED_RULE,
        erasureId: order.erasureId,
      },
    },
  );
}

/** The rule the refusal of a withdrawn report's very body sent again names (its details' `rule`). */
export const WITHDRAWN_RULE = 'the version a withdrawal withdrew';

/**
 * The answer to the very body of a withdrawn version sent again (`sameAsWithdrawn`): sent, it would put the report
 * back. A changed body is taken (the next version), which is how a report is put back on purpose.
 */
export function withdrawnRefusal(
  reportId: string,
  withdrawn: { version: number; withdrawnAt: number },
): HubError {
  return new HubError(
    'CONFLICT',
    `reportId ${reportId} was withdrawn (its version ${withdrawn.withdrawnAt}), and this is the very content of its version ${withdrawn.version}, the one withdrawn: it was not sent again, since a retry of the original request or a file imported again would put the withdrawn report back; to reinstate the report on purpose, send it with a change (a line in its notes saying why will do): a changed report is its next version and makes it current again`,
    {
      details: {
        field: 'reportId',
        value: reportId,
        rule: WITHDRAWN_RULE,
        version: withdrawn.version,
        withdrawnAt: withdrawn.withdrawnAt,
      },
    },
  );
}

/** The rule the refusal of a withdrawal of a route or an annual return names (its details' `rule`). */
export const ONLY_REPORTS_WITHDRAWN_RULE = 'only seizure reports are withdrawn';

/** What changes a record of each kind other than a seizure report, for the refusal of its withdrawal. */
const INSTEAD_OF_WITHDRAWAL: Record<Exclude<RecordKind, 'SeizureReport'>, string> = {
  TraffickingRoute: 'send a corrected version of the route instead (POST /v1/routes with its routeId)',
  AnnualSeizureReturn:
    'send a corrected return for its year instead (POST /v1/annual-returns), which replaces this one',
};

/** The answer to a withdrawal of a route or an annual return (the coordinator's refusal of it, given up front). */
export function notWithdrawable(id: string, kind: Exclude<RecordKind, 'SeizureReport'>): HubError {
  return new HubError(
    'CONFLICT',
    `reportId ${id} is a${kind === 'AnnualSeizureReturn' ? 'n' : ''} ${kind}, not a seizure report: ${ONLY_REPORTS_WITHDRAWN_RULE}; ${INSTEAD_OF_WITHDRAWAL[kind]}`,
    { details: { field: 'reportId', value: id, rule: ONLY_REPORTS_WITHDRAWN_RULE, kind } },
  );
}

/** Bytes written and not flushed after which a write flushes them (what is held to write again stays small). */
const FLUSH_BYTES = 1 << 20;

/**
 * A file of lines appended to, kept open. A line whose write fails (a full disk, after part of it was written, say) is
 * kept and written again before the next line, whole and on a line of its own (after a line break that ends what the
 * failed write left: a fragment no reader takes), so that neither it nor the lines after it are lost; `sync` writes
 * again what is kept, and throws while anything is. So are the lines written since a flush that failed: Linux reports
 * a failed writeback once and marks its pages clean, so that the next flush succeeds without them on the disk. A line
 * written twice is read back as once.
 */
class LineFile {
  private fd: number;
  /** Lines not (wholly) on the disk yet, oldest first. */
  private kept: string[] = [];
  /** Lines written since the last flush that succeeded, oldest first: written again if the next one fails. */
  private unflushed: string[] = [];
  private unflushedBytes = 0;
  /** The file may end in part of a line (a failed write, a crash): the next write begins with a line break. */
  private torn: boolean;

  constructor(
    private readonly file: string,
    { ended = true }: { ended?: boolean } = {},
  ) {
    this.fd = openSync(file, 'a');
    this.torn = !ended;
  }

  get unwritten(): number {
    return this.kept.length;
  }

  /** Append `line` (without its line break). Throws when it cannot be written: it is kept, written again later. */
  append(line: string): void {
    this.kept.push(line);
    this.write();
  }

  private write(): void {
    if (this.kept.length === 0) return;
    const bytes = Buffer.from(`${this.torn ? '\n' : ''}${this.kept.join('\n')}\n`, 'utf8');
    try {
      for (let written = 0; written < bytes.length;) written += writeSync(this.fd, bytes, written);
    } catch (err) {
      this.torn = true;
      // The count in details, not the message: the same failure reads the same however many lines wait (logged once).
      throw new HubError(
        'NODE_FILE_WRITE_FAILED',
        `could not write to ${this.file}: ${(err as Error).message}; what could not be written is kept in memory and written again before the outbox forgets the records it came from`,
        { retriable: true, cause: err, details: { file: this.file, unwrittenLines: this.kept.length } },
      );
    }
    for (const line of this.kept) this.unflushed.push(line);
    this.unflushedBytes += bytes.length;
    this.kept = [];
    this.torn = false;
    if (this.unflushedBytes >= FLUSH_BYTES) this.flush();
  }

  /**
   * Flush what was written since the last flush. When that fails, those lines are kept, to be written again (after a
   * line break) before the next flush: the failed one may have left them anywhere short of the disk.
   */
  private flush(): void {
    if (this.unflushed.length === 0) return;
    try {
      fdatasyncSync(this.fd);
    } catch (err) {
      this.kept = this.unflushed.concat(this.kept);
      this.unflushed = [];
      this.unflushedBytes = 0;
      this.torn = true;
      throw new HubError(
        'NODE_FILE_WRITE_FAILED',
        `could not flush ${this.file} to the disk: ${(err as Error).message}; what was written since the last flush is kept in memory and written again before the outbox forgets the records it came from`,
        { retriable: true, cause: err, details: { file: this.file, unwrittenLines: this.kept.length } },
      );
    }
    this.unflushed = [];
    this.unflushedBytes = 0;
  }

  /** Write again what is kept, and flush: throws while either fails. */
  sync(): void {
    this.write();
    this.flush();
  }

  /** Appends go to the file now at this path (one rewritten, whole, in its place): nothing is kept for the old one. */
  reopen(): void {
    const fd = openSync(this.file, 'a');
    closeSync(this.fd);
    this.fd = fd;
    this.kept = [];
    this.unflushed = [];
    this.unflushedBytes = 0;
    this.torn = false;
  }

  close(): void {
    closeSync(this.fd);
  }
}
