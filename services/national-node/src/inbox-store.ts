// What the coordinator sent this node (receipts, alerts, requests), kept in a JSON-lines file and indexed in memory.
// Receipts, one or more for every record the node ever sent, are held in memory by what a status needs (the envelope
// answered, the status, the version, where the line is) and read from the file when shown: about 330 bytes of heap
// each, where held whole they took 770 (measured at 200,000). A retention renewal's receipt names the record it renews
// but answers no version of it: it is kept apart, so that it never stands for the record's status.
// What `add` wrote is flushed to the disk by `sync`, which the caller runs before it commits the Kafka offsets of what
// it added (once per fetched batch): a message lost from the page cache by a power loss is never delivered again.
import { closeSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { readJsonLines } from './json-lines';

export interface InboundItem {
  messageId: string;
  messageType: string;
  receivedAt: number;
  value: Record<string, unknown>;
}

/** A receipt as held in memory: what its record's status needs, and where its whole line is in the file. */
export interface ReceiptSummary {
  /**
   * The envelope it answers: kept for a refusal and for a receipt without a version, which is what it is asked of
   * (most receipts, accepting a version, do without: 56 bytes each).
   */
  inReplyTo: string | undefined;
  status: string;
  /** The version it answers (null: refused before its version was read). */
  subjectVersion: number | null;
  receivedAt: number;
  /** Its line in the file: byte offset and length (without the line break). */
  offset: number;
  length: number;
}

const isReceipt = (item: InboundItem) =>
  item.messageType === 'Receipt' && typeof item.value.subjectId === 'string';

/**
 * Whether a receipt answers a retention renewal of its record (subjectType: the message type it answers), not a
 * version of it: a renewal has no version, and its receipt says nothing of whether the record's latest one was taken.
 */
export const answersRenewal = (receipt: Record<string, unknown>) =>
  receipt.subjectType === 'RetentionRenewal';

/** The status as one string for all receipts (the statuses of a protocol are few). */
const shared = (status: unknown) =>
  status === 'accepted' ? 'accepted' : status === 'rejected' ? 'rejected' : String(status);

export class InboundStore {
  private readonly messageIds = new Set<string>();
  /** Everything, in the order it arrived: receipts by their summary, the rest whole. */
  private readonly items: (InboundItem | ReceiptSummary)[] = [];
  /** The receipts of each record's versions (and retractions), by the record's id. */
  private readonly receiptsBySubject = new Map<string, ReceiptSummary[]>();
  /** The receipts of each record's retention renewals, by the record's id. */
  private readonly renewalsBySubject = new Map<string, ReceiptSummary[]>();
  /** Everything but receipts, by message type, in the order it arrived. */
  private readonly byType = new Map<string, InboundItem[]>();
  /** The file's length in bytes: where the next line starts. */
  private bytes = 0;
  /** A write failed part-way (a full disk): the next line starts with a line break of its own. */
  private torn = false;

  constructor(private readonly file: string) {
    // A torn last line after a crash: its message was not committed, and is redelivered.
    this.bytes = readJsonLines<InboundItem>(file, (item, line) => this.index(item, line.offset, line.length));
  }

  private index(item: InboundItem, offset: number, length: number): void {
    if (this.messageIds.has(item.messageId)) return;
    this.messageIds.add(item.messageId);
    if (isReceipt(item)) {
      const v = item.value;
      const status = shared(v.status);
      const subjectVersion = typeof v.subjectVersion === 'number' ? v.subjectVersion : null;
      const summary: ReceiptSummary = {
        inReplyTo: status !== 'accepted' || subjectVersion === null ? String(v.inReplyTo) : undefined,
        status,
        subjectVersion,
        receivedAt: item.receivedAt,
        offset,
        length,
      };
      this.items.push(summary);
      const subject = v.subjectId as string;
      const filed = answersRenewal(v) ? this.renewalsBySubject : this.receiptsBySubject;
      const list = filed.get(subject);
      if (list) list.push(summary);
      else filed.set(subject, [summary]);
    } else {
      this.items.push(item);
      let list = this.byType.get(item.messageType);
      if (!list) this.byType.set(item.messageType, (list = []));
      list.push(item);
    }
  }

  private readonly listeners: ((item: InboundItem) => void)[] = [];

  /** Written by `add` since the last `sync`. */
  private unsynced = false;

  /**
   * What `add` wrote, on the disk (fdatasync, off the event loop): run before the offsets of the messages added are
   * committed. One flush for a batch of messages, where one per message cost about 1.7 ms of the event loop each.
   */
  async sync(): Promise<void> {
    if (!this.unsynced) return;
    // Cleared before the flush, so that a line added meanwhile is flushed by the next sync; set again if it fails (the
    // batch is then handled again, its messages known already: nothing else would flush them).
    this.unsynced = false;
    try {
      const handle = await open(this.file, 'r');
      try {
        await handle.datasync();
      } finally {
        await handle.close();
      }
    } catch (err) {
      this.unsynced = true;
      throw err;
    }
  }

  /** Idempotent: an already-known messageId is ignored. On the disk once `sync` has run after it. */
  add(item: InboundItem): boolean {
    if (this.messageIds.has(item.messageId)) return false;
    const line = JSON.stringify(item);
    const lead = this.torn ? '\n' : '';
    const bytes = Buffer.from(`${lead}${line}\n`);
    try {
      const fd = openSync(this.file, 'a');
      try {
        for (let written = 0; written < bytes.length;) written += writeSync(fd, bytes, written);
        this.unsynced = true;
      } finally {
        closeSync(fd);
      }
    } catch (err) {
      // Part of it may be on disk (a full disk): the next line starts after whatever is there, on a line of its own.
      this.bytes = statSync(this.file, { throwIfNoEntry: false })?.size ?? 0;
      this.torn = true;
      throw err;
    }
    const offset = this.bytes + lead.length;
    const length = Buffer.byteLength(line);
    this.bytes = offset + length + 1;
    this.torn = false;
    this.index(item, offset, length);
    for (const l of this.listeners) l(item);
    return true;
  }

  /** A receipt's whole line, read from the file. */
  private read(summary: ReceiptSummary): InboundItem {
    const buf = Buffer.alloc(summary.length);
    const fd = openSync(this.file, 'r');
    try {
      let got = 0;
      while (got < buf.length) {
        const n = readSync(fd, buf, got, buf.length - got, summary.offset + got);
        if (n === 0) break;
        got += n;
      }
    } finally {
      closeSync(fd);
    }
    try {
      return JSON.parse(buf.toString('utf8')) as InboundItem;
    } catch {
      throw new Error(
        `${this.file} changed under the node: no receipt at byte ${summary.offset} (restart the node to read it again)`,
      );
    }
  }

  private whole(entry: InboundItem | ReceiptSummary): InboundItem {
    return 'messageId' in entry ? entry : this.read(entry);
  }

  /** Everything received, in the order it arrived (the same order after a restart). */
  all(): InboundItem[] {
    return this.items.map((e) => this.whole(e));
  }

  /** How many items were received. */
  get size(): number {
    return this.items.length;
  }

  /** The item received at `index` in that order (without reading the others, as `all` does). */
  at(index: number): InboundItem | undefined {
    const entry = this.items[index];
    return entry && this.whole(entry);
  }

  /** Called with each item added after it is kept (not with those read at start). */
  onAdd(listener: (item: InboundItem) => void): void {
    this.listeners.push(listener);
  }

  /** A record's receipts as held in memory, in the order they arrived: those of its versions, not its renewals. */
  receiptSummaries(subjectId: string): readonly ReceiptSummary[] {
    return this.receiptsBySubject.get(subjectId) ?? [];
  }

  /** A record's receipts whole (read from the file), in the order they arrived: those of its versions. */
  receipts(subjectId: string): InboundItem[] {
    return this.receiptSummaries(subjectId).map((s) => this.read(s));
  }

  /** The receipts of a record's retention renewals whole (read from the file), in the order they arrived. */
  renewalReceipts(subjectId: string): InboundItem[] {
    return (this.renewalsBySubject.get(subjectId) ?? []).map((s) => this.read(s));
  }

  /** A record's latest receipt whole, if any. */
  lastReceipt(subjectId: string): InboundItem | undefined {
    const last = this.receiptSummaries(subjectId).at(-1);
    return last && this.read(last);
  }

  /**
   * Those of one type (not receipts), in the order they arrived: the store's own list, not a copy (a list request read
   * it whole each time). Read it before the next await: items received meanwhile are appended to it.
   */
  ofType(messageType: string): readonly InboundItem[] {
    return this.byType.get(messageType) ?? [];
  }
}
