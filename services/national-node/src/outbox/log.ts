// The durable outbox: an append-only log of signed envelopes on the node's disk. A report is acknowledged to the
// agency only after its envelope is here and fsynced; many concurrent appends share one fsync (group commit).
// Record: u32 length of the rest | u32 CRC-32 of the rest | u64 appendedAt ms | u16 key length | key |
// [u8 digest length | digest, when the key length's top bit is set] | [u16 notes length | notes as a JSON array, when
// its next bit is set] | envelope bytes. The digest is that of the agency's body that made the envelope, so that a
// body re-sent after a crash is still known; the notes are what the node normalised in it (the receipt's notes).
// Records written before either have neither: keys are far shorter than 16,384 bytes, so both bits were clear.
// cursor.json: where publishing has reached. Lost or unreadable, publishing starts again at the log's start: the
// coordinator knows a re-sent envelope by its message id and bytes (publishing is at least once anyway: a crash
// between a send and its commit sends the batch again).
// torn-<segment>.end: where the records of a segment end, when a failed write left bytes after them that could not be
// cut (a batch refused to the agency, perhaps whole on the disk): nothing past it is read, and the segment is written
// no more. Written beside, flushed and renamed over, so never torn; removed with its segment.
import {
  closeSync,
  existsSync,
  fdatasyncSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { HubError } from '@hub/errors';
import type { Logger } from '@hub/observability';
import { crc32 } from './crc32';

export interface OutboxRecord {
  key: string;
  value: Buffer;
  appendedAt: number;
  /** The digest of the agency's body that made this envelope, when one was given. */
  bodyDigest?: string;
  /** What the node normalised in the body (e.g. "country 'Казахстан' → KZ"), when anything. */
  notes?: string[];
  /** Position just after this record: the cursor once it is published. */
  end: Position;
}

export interface Position {
  segment: number;
  offset: number;
}

export interface OutboxLogOptions {
  dir: string;
  segmentBytes?: number;
  clock?: () => number;
  /**
   * Called before the cursor moves past published records, which are then no longer read at start-up: what was
   * derived from them elsewhere (the node's version index, its requests log) must be durable first; it throws while it
   * is not, and the cursor stays. Whoever publishes must also have made them whole from the records `open` found
   * unpublished before publishing any (see node.ts `openOutbox`).
   */
  beforeCommit?: () => void;
  /** Told of a cursor it could not read (else a process warning, on stderr). */
  logger?: Pick<Logger, 'warn'>;
}

/** What an outbox record keeps beside its envelope, about the agency's body that made it. */
export interface RecordExtras {
  bodyDigest?: string;
  notes?: string[];
}

const HEADER = 8;

/** Where the log starts: the cursor when nothing was published yet, or when the cursor is lost. */
const START: Position = { segment: 1, offset: 0 };

/** A cursor as cursor.json holds it, or undefined when it holds none (torn by a crash, emptied, overwritten). */
function parseCursor(text: string): Position | undefined {
  let pos: unknown;
  try {
    pos = JSON.parse(text);
  } catch {
    return undefined;
  }
  const { segment, offset } = (pos ?? {}) as { segment?: unknown; offset?: unknown };
  const atLeast = (n: unknown, min: number): n is number => Number.isSafeInteger(n) && (n as number) >= min;
  return atLeast(segment, 1) && atLeast(offset, 0) ? { segment, offset } : undefined;
}

function segName(n: number): string {
  return `segment-${String(n).padStart(8, '0')}.log`;
}

/** The file that says where segment `n`'s records end, when it ends in bytes of a failed write. */
function endName(n: number): string {
  return `torn-${String(n).padStart(8, '0')}.end`;
}

/**
 * Replaces the small file `path` with `text` (no line break), never torn: written to `<path>.tmp`, flushed, and renamed
 * over it. `flushFolder`: the rename made durable too (the folder flushed), where a crash must not undo it.
 */
function writeWhole(path: string, text: string, { flushFolder }: { flushFolder: boolean }): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    const bytes = Buffer.from(text);
    for (let written = 0; written < bytes.length;) written += writeSync(fd, bytes, written);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  if (flushFolder) flushFolderOf(dirname(path));
}

/**
 * Makes the names in folder `dir` durable: a file's fsync or fdatasync flushes its bytes, not its entry in the folder,
 * which a power loss could take away (a new file with it).
 */
function flushFolderOf(dir: string): void {
  const folder = openSync(dir, 'r');
  try {
    fsyncSync(folder);
  } finally {
    closeSync(folder);
  }
}

const DIGEST_FLAG = 0x8000;
const NOTES_FLAG = 0x4000;
const KEY_MASK = NOTES_FLAG - 1;

/**
 * The notes as the record keeps them: all of them when they fit in its 64 KiB, else as many as fit and one that says
 * how many more there were (a record is never refused for its notes; the agency's answer lists them all).
 */
function notesThatFit(notes: string[]): Buffer {
  const whole = Buffer.from(JSON.stringify(notes), 'utf8');
  if (whole.length <= 0xffff) return whole;
  const kept: string[] = [];
  let bytes = 2 + 100; // the brackets, and room for the last note
  for (const note of notes) {
    const size = Buffer.byteLength(JSON.stringify(note), 'utf8') + 1;
    if (bytes + size > 0xffff) break;
    kept.push(note);
    bytes += size;
  }
  kept.push(`and ${notes.length - kept.length} more normalisations`);
  return Buffer.from(JSON.stringify(kept), 'utf8');
}

function encode(key: string, value: Buffer, at: number, extras: RecordExtras = {}): Buffer {
  const k = Buffer.from(key, 'utf8');
  const d = extras.bodyDigest === undefined ? undefined : Buffer.from(extras.bodyDigest, 'utf8');
  const n = extras.notes?.length ? notesThatFit(extras.notes) : undefined;
  if (k.length > KEY_MASK || (d && d.length > 255))
    throw new HubError('OUTBOX_RECORD', `an outbox key (${k.length} bytes) or digest is too long`);
  const extra = (d ? 1 + d.length : 0) + (n ? 2 + n.length : 0);
  const rest = Buffer.alloc(8 + 2 + k.length + extra + value.length);
  rest.writeBigUInt64BE(BigInt(at), 0);
  rest.writeUInt16BE(k.length | (d ? DIGEST_FLAG : 0) | (n ? NOTES_FLAG : 0), 8);
  let pos = 10 + k.copy(rest, 10);
  if (d) {
    rest.writeUInt8(d.length, pos);
    pos += 1 + d.copy(rest, pos + 1);
  }
  if (n) {
    rest.writeUInt16BE(n.length, pos);
    pos += 2 + n.copy(rest, pos + 2);
  }
  value.copy(rest, pos);
  const head = Buffer.alloc(HEADER);
  head.writeUInt32BE(rest.length, 0);
  head.writeUInt32BE(crc32(rest), 4);
  return Buffer.concat([head, rest]);
}

/** The notes a record keeps, or none when they cannot be read (a record is never refused for its notes). */
function parseNotes(json: string): string[] | undefined {
  try {
    const notes: unknown = JSON.parse(json);
    return Array.isArray(notes) ? notes.map(String) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The valid records of `buf` (a segment's bytes from offset `base`), and the offset where valid data ends. A
 * record's value is a view into `buf`: copy the ones kept.
 */
function* scanRecords(buf: Buffer, segment: number, base: number): Generator<OutboxRecord, number> {
  let off = 0;
  while (off + HEADER <= buf.length) {
    const len = buf.readUInt32BE(off);
    const crc = buf.readUInt32BE(off + 4);
    if (len < 10 || off + HEADER + len > buf.length) break;
    const rest = buf.subarray(off + HEADER, off + HEADER + len);
    if (crc32(rest) !== crc) break;
    const flagged = rest.readUInt16BE(8);
    const keyLen = flagged & KEY_MASK;
    let at = 10 + keyLen;
    let bodyDigest: string | undefined;
    let notes: string[] | undefined;
    if (flagged & DIGEST_FLAG) {
      const len = rest.readUInt8(at);
      bodyDigest = rest.subarray(at + 1, at + 1 + len).toString('utf8');
      at += 1 + len;
    }
    if (flagged & NOTES_FLAG) {
      const len = rest.readUInt16BE(at);
      notes = parseNotes(rest.subarray(at + 2, at + 2 + len).toString('utf8'));
      at += 2 + len;
    }
    off += HEADER + len;
    yield {
      appendedAt: Number(rest.readBigUInt64BE(0)),
      key: rest.subarray(10, 10 + keyLen).toString('utf8'),
      ...(bodyDigest === undefined ? {} : { bodyDigest }),
      ...(notes === undefined ? {} : { notes }),
      value: rest.subarray(at),
      end: { segment, offset: base + off },
    };
  }
  return base + off;
}

/** Bytes `[from, from + length)` of a file, fewer at its end (or at `end`, when it is before the file's end). */
function readAt(path: string, from: number, length: number, end = Infinity): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(Math.max(0, Math.min(length, Math.min(fstatSync(fd).size, end) - from)));
    let got = 0;
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, from + got);
      if (n === 0) break;
      got += n;
    }
    return buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

/** Cuts the file at `path` to `size` bytes, durably. */
function cutAt(path: string, size: number): void {
  const fd = openSync(path, 'r+');
  try {
    ftruncateSync(fd, size);
    fdatasyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function positionBefore(a: Position, b: Position): boolean {
  return a.segment < b.segment || (a.segment === b.segment && a.offset < b.offset);
}

export class OutboxLog {
  private fd = -1;
  private segment = 1;
  private size = 0;
  private queue: {
    buf: Buffer;
    rec: Omit<OutboxRecord, 'end'>;
    resolve: (r: OutboxRecord) => void;
    reject: (e: Error) => void;
  }[] = [];
  private flushing = false;
  private readonly segmentBytes: number;
  private readonly clock: () => number;
  private readonly beforeCommit: (() => void) | undefined;
  private readonly logger: Pick<Logger, 'warn'> | undefined;
  private closed = false;
  /**
   * The segment ends in bytes that are no record: a failed write whose undoing failed too. Nothing more is written
   * after them (at start-up `open` would take them for a torn tail and cut the segment there, losing every record
   * after them): the next records go to a new segment, where such bytes are its tail, which `open` drops safely.
   */
  private torn = false;
  /**
   * Where the records of each segment that ends in bytes of a failed write end (torn-<segment>.end): records past it,
   * though they may be whole on the disk, were refused to the agency, and are never read, at start or while publishing.
   * The current segment's is here only once its file is written; until then the next batch writes it first.
   */
  private readonly ends = new Map<number, number>();
  /** Where the current segment's records end, when it ends in bytes of a failed write (`torn`). */
  private tornAt = 0;
  /** The unreadable cursor was reported (once: it is read again until the next commit rewrites it). */
  private cursorReported = false;
  /**
   * The current segment's name may not be durable in the folder yet (it was opened since the folder was flushed): it
   * is before any record of it is acknowledged, else a power loss could take the segment, and the records with it.
   */
  private nameUnflushed = false;

  private constructor(
    private readonly dir: string,
    options: OutboxLogOptions,
  ) {
    this.segmentBytes = options.segmentBytes ?? 64 * 1024 * 1024;
    this.clock = options.clock ?? Date.now;
    this.beforeCommit = options.beforeCommit;
    this.logger = options.logger;
  }

  /**
   * Open the log, drop a torn tail, and return the records not yet published (after the cursor): the oldest whole,
   * as many as fit in `pendingBytes` of values (all by default), the rest as positions (`spilled`). `onRecord` sees
   * every one of them on the way, whole (its value valid during the call only).
   */
  static open(
    options: OutboxLogOptions & { pendingBytes?: number; onRecord?: (record: OutboxRecord) => void },
  ): {
    log: OutboxLog;
    pending: OutboxRecord[];
    spilled: Position[];
    cursor: Position;
  } {
    mkdirSync(options.dir, { recursive: true });
    const log = new OutboxLog(options.dir, options);
    const cursor = log.readCursor();
    const segments = log.segments();
    log.readEnds(segments);
    const pending: OutboxRecord[] = [];
    const spilled: Position[] = [];
    let budget = options.pendingBytes ?? Infinity;
    for (const seg of segments) {
      if (seg < cursor.segment) continue;
      const path = join(options.dir, segName(seg));
      const fileSize = statSync(path).size;
      const size = Math.min(fileSize, log.ends.get(seg) ?? Infinity);
      const from = seg === cursor.segment ? Math.min(cursor.offset, size) : 0;
      const scan = scanRecords(readAt(path, from, size - from), seg, from);
      let step = scan.next();
      for (; !step.done; step = scan.next()) {
        const r = step.value;
        options.onRecord?.(r);
        if (spilled.length === 0 && r.value.length <= budget) {
          budget -= r.value.length;
          pending.push({ ...r, value: Buffer.from(r.value) });
        } else spilled.push(r.end);
      }
      if (step.value < size) {
        // A torn write from a crash: never acknowledged, safe to drop.
        cutAt(path, step.value);
      } else if (size < fileSize) {
        // A failed write's bytes past the segment's marked end: never read, and cut only to spare the disk.
        try {
          cutAt(path, size);
        } catch {
          // Left, as the failed write left them: still never read.
        }
      }
    }
    const last = segments.length ? Math.max(...segments) : cursor.segment;
    // A segment whose end is marked is written no more (the mark would hide what came after it).
    log.openSegment(log.ends.has(last) ? last + 1 : last);
    // At once, so that the node does not start on a disk that cannot: a segment made now, or made by a run that stopped
    // before it flushed the folder.
    log.flushName();
    return { log, pending, spilled, cursor };
  }

  /**
   * The records after `from`, in order, as many as fit in `maxBytes` of values (one at least, if there is one, even
   * a larger one): for a publisher that keeps only a window of its backlog in memory.
   */
  readFrom(from: Position, maxBytes: number): OutboxRecord[] {
    const out: OutboxRecord[] = [];
    let pos = from;
    let bytes = 0;
    for (const seg of this.segments()) {
      if (seg < pos.segment) continue;
      if (seg > pos.segment) pos = { segment: seg, offset: 0 };
      const path = join(this.dir, segName(seg));
      // Of the current segment too while its end is not marked yet (a failed write whose bytes stay, see `torn`).
      const end = this.ends.get(seg) ?? (this.torn && seg === this.segment ? this.tornAt : undefined);
      let offset = pos.offset;
      for (;;) {
        const head = readAt(path, offset, HEADER, end);
        if (head.length < HEADER) break;
        // A block of about maxBytes, or the one record if it is larger.
        const block = readAt(
          path,
          offset,
          Math.max(HEADER + head.readUInt32BE(0), Math.min(maxBytes, 4 << 20)),
          end,
        );
        let read = 0;
        for (const r of scanRecords(block, seg, offset)) {
          if (out.length && bytes + r.value.length > maxBytes) return out;
          out.push({ ...r, value: Buffer.from(r.value) });
          bytes += r.value.length;
          read = r.end.offset;
          if (bytes >= maxBytes) return out;
        }
        if (read === 0) break;
        offset = read;
      }
    }
    return out;
  }

  /** The ends marked of `segments` (those of segments no longer there are removed). */
  private readEnds(segments: number[]): void {
    const kept = new Set(segments);
    for (const f of readdirSync(this.dir)) {
      const seg = Number(/^torn-(\d+)\.end$/.exec(f)?.[1] ?? NaN);
      const path = join(this.dir, f);
      // A mark the node stopped while writing: not made.
      if (f.endsWith('.end.tmp')) rmSync(path, { force: true });
      if (Number.isNaN(seg)) continue;
      if (!kept.has(seg)) {
        rmSync(path, { force: true });
        continue;
      }
      const end = Number(readFileSync(path, 'utf8'));
      if (!Number.isSafeInteger(end) || end < 0)
        throw new HubError(
          'OUTBOX_CORRUPT',
          `${path} should hold where the records of ${segName(seg)} end (a byte offset), and holds something else: remove it only if nothing after that segment's last whole record must be left unsent`,
        );
      this.ends.set(seg, end);
    }
  }

  /**
   * Marks where the current segment's records end (`tornAt`), on the disk: written beside, flushed, renamed over, and
   * the folder flushed. Throws when it cannot: nothing more is then written until it can.
   */
  private markEnd(): void {
    if (this.ends.has(this.segment)) return;
    writeWhole(join(this.dir, endName(this.segment)), String(this.tornAt), { flushFolder: true });
    this.ends.set(this.segment, this.tornAt);
  }

  private segments(): number[] {
    return readdirSync(this.dir)
      .map((f) => /^segment-(\d+)\.log$/.exec(f)?.[1])
      .filter((x): x is string => x !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
  }

  /**
   * Append to segment `segment` from now on (its number taken only once it is open). Its name is flushed into the
   * folder before its first record is acknowledged (`flushName`), not here: a flush that fails then refuses that batch,
   * and is tried again with the next.
   */
  private openSegment(segment: number): void {
    const path = join(this.dir, segName(segment));
    this.fd = openSync(path, 'a');
    this.segment = segment;
    this.size = existsSync(path) ? statSync(path).size : 0;
    this.nameUnflushed = true;
  }

  /** Makes the current segment's name durable in the folder, once (see `nameUnflushed`). */
  private flushName(): void {
    if (!this.nameUnflushed) return;
    flushFolderOf(this.dir);
    this.nameUnflushed = false;
  }

  /** Append and fsync; resolves once the record is durable. `extras`: about the agency's body that made it. */
  append(key: string, value: Buffer, extras: RecordExtras = {}): Promise<OutboxRecord> {
    if (this.closed)
      return Promise.reject(
        new HubError('OUTBOX_CLOSED', 'the outbox is closed (the node is shutting down)', {
          retriable: true,
        }),
      );
    const appendedAt = this.clock();
    return new Promise((resolve, reject) => {
      this.queue.push({
        buf: encode(key, value, appendedAt, extras),
        rec: {
          key,
          value,
          appendedAt,
          ...(extras.bodyDigest === undefined ? {} : { bodyDigest: extras.bodyDigest }),
          ...(extras.notes?.length ? { notes: extras.notes } : {}),
        },
        resolve,
        reject,
      });
      if (!this.flushing) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    if (this.flushing || this.queue.length === 0) return;
    this.flushing = true;
    const batch = this.queue.splice(0, this.queue.length);
    // Where this batch's bytes begin: a failed write is undone back to it, so that the next records' offsets (which
    // the publisher commits as its cursor) are where their bytes are.
    let start = -1;
    try {
      const results: OutboxRecord[] = [];
      const bufs: Buffer[] = [];
      for (const item of batch) {
        if (bufs.length === 0 && this.torn) {
          // Marked before anything goes on: else, after a crash, its records past the mark could be published.
          this.markEnd();
          this.rotate({ sync: false });
        } else if (this.size > 0 && this.size + item.buf.length > this.segmentBytes && bufs.length === 0)
          this.rotate();
        if (start < 0) start = this.size;
        this.size += item.buf.length;
        bufs.push(item.buf);
        results.push({ ...item.rec, end: { segment: this.segment, offset: this.size } });
      }
      // A segment begun for this batch: its records are durable only once its name is.
      this.flushName();
      const all = Buffer.concat(bufs);
      let written = 0;
      while (written < all.length) written += writeSync(this.fd, all, written);
      fdatasyncSync(this.fd);
      batch.forEach((item, i) => item.resolve(results[i] as OutboxRecord));
    } catch (err) {
      if (start >= 0) {
        this.size = start;
        try {
          ftruncateSync(this.fd, start);
        } catch {
          // What was written of the batch stays, perhaps whole: where the records end is marked (now if it can be, a
          // crash may come before the next batch; else before the next batch), and the next batch goes to a new
          // segment (see `torn`).
          this.torn = true;
          this.tornAt = start;
          try {
            this.markEnd();
          } catch {
            // Tried again before anything more is written.
          }
        }
      }
      // The message goes to the agencies' systems as it is (503, a batch's item, a CSV's row): what to do, and no path
      // of the node's. Where and why (the folder, the errno; the cause's message) are for the operator's log.
      const e = new HubError(
        'OUTBOX_WRITE_FAILED',
        'the node cannot write to its disk now; nothing was accepted, send it again',
        {
          retriable: true,
          cause: err,
          details: { outboxDir: this.dir, errno: (err as NodeJS.ErrnoException).code ?? null },
        },
      );
      batch.forEach((item) => item.reject(e));
    } finally {
      this.flushing = false;
      if (this.queue.length) setImmediate(() => this.flush());
    }
  }

  /**
   * Go on in the next segment. `sync: false` when this one ends in bytes of a failed write: its records were flushed
   * with their batches, and a flush that fails again must not keep the next records from a segment of their own.
   */
  private rotate({ sync = true } = {}): void {
    if (this.fd >= 0) {
      if (sync) fdatasyncSync(this.fd);
      try {
        closeSync(this.fd);
      } finally {
        // Never closed twice (the number may be another file's by then), whether or not the next one opens.
        this.fd = -1;
      }
    }
    this.openSegment(this.segment + 1);
    this.torn = false;
  }

  /**
   * Where publishing has reached. A cursor.json that holds none (a node that lost power as it was written, before
   * the cursor was fsynced) is reported and taken as the log's start, where the node would not start at all: what
   * is published again, the coordinator knows by its message id.
   */
  readCursor(): Position {
    const path = join(this.dir, 'cursor.json');
    if (!existsSync(path)) return { ...START };
    const text = readFileSync(path, 'utf8');
    const pos = parseCursor(text);
    if (pos) return pos;
    if (!this.cursorReported) {
      this.cursorReported = true;
      const message = `the outbox cursor ${path} holds no position (${text.length} bytes): publishing again from the start of the outbox log, ${JSON.stringify(START)}`;
      if (this.logger) this.logger.warn({ path, bytes: text.length }, message);
      else process.emitWarning(message, { code: 'HUB_OUTBOX_CURSOR' });
    }
    return { ...START };
  }

  /**
   * Record that everything before `pos` is published; delete segments entirely behind it. Throws OUTBOX_COMMIT_FAILED,
   * the cursor left where it was, when `beforeCommit` throws (what was derived from the records is not durable: they
   * must be read again at the next start) or the cursor cannot be written.
   */
  commit(pos: Position): void {
    try {
      this.beforeCommit?.();
    } catch (err) {
      throw new HubError(
        'OUTBOX_COMMIT_FAILED',
        `the node's records of what it sent (version index, requests log) cannot be made durable, so the outbox keeps its published records to rebuild them from: ${(err as Error).message}`,
        { retriable: true, cause: err },
      );
    }
    const cursor = join(this.dir, 'cursor.json');
    try {
      // On the disk before it takes the cursor's name: renamed first, a power loss could leave cursor.json empty. The
      // folder is not flushed: a rename lost with it leaves the cursor where it was, and what is published again the
      // coordinator knows by its message id.
      writeWhole(cursor, JSON.stringify(pos), { flushFolder: false });
    } catch (err) {
      throw new HubError(
        'OUTBOX_COMMIT_FAILED',
        `the outbox cursor ${cursor} cannot be written (published records are published again after a restart): ${(err as Error).message}`,
        { retriable: true, cause: err },
      );
    }
    this.cursorReported = false;
    for (const seg of this.segments())
      if (seg < pos.segment) {
        rmSync(join(this.dir, segName(seg)), { force: true });
        rmSync(join(this.dir, endName(seg)), { force: true });
        this.ends.delete(seg);
      }
  }

  async close(): Promise<void> {
    this.closed = true;
    while (this.flushing || this.queue.length) await new Promise((r) => setImmediate(r));
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}
