// What the coordinator sent this node (receipts, alerts, requests), kept in a JSON-lines file and indexed in memory.
// Receipts, one or more for every record the node ever sent, are held in memory by what a status needs (the envelope
// answered, the status, the version, where the line is) and read from the file when shown: about 330 bytes of heap
// each, where held whole they took 770 (measured at 200,000). A retention renewal's receipt names the record it renews
// but answers no version of it: it is kept apart, so that it never stands for the record's status.
// What `add` wrote is flushed to the disk by `sync`, which the caller runs before it commits the Kafka offsets of what
// it added (once per fetched batch): a message lost from the page cache by a power loss is never delivered again.
// An ErasureNotice (a record erased at retention review) erases the record here too: from then on its receipts (its
// renewals' too) and the alerts naming it are neither held nor shown, and one arriving later for an erased version is
// kept without its content. Each keeps its place as a stand-in without content (its message id, type and time, the
// erasure's id and the record's), so that the order and the count of what arrived, which the webhook's cursor counts,
// do not change. The file's lines of them keep their content until the next start, which rewrites the file once (and
// every receipt's offset with it): while running, a rewrite would copy the whole file (hundreds of MB at a million
// receipts) with the event loop held, for each batch of erasures.
import { closeSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { erasureOrderOf, type ErasureOrder } from './erasure-order';
import { discardUnfinishedRewrite, eachLine, readJsonLines, rewriteLines } from './json-lines';

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
  /**
   * Set when its record was erased: the erasure's id. It is then in no record's list, and shown as a stand-in; its
   * line keeps the content until the file is rewritten at the next start. (Set on those few only: not a field of all.)
   */
  erasedBy?: string;
}

/** What an erasure took from the store. */
export interface Erased {
  receipts: number;
  alerts: number;
}

/**
 * What a message erased with a record is kept as: its id, type and time, which erasure and which record, none of its
 * content. It keeps the message's place (the webhook forwards it there if it had not forwarded the message yet) and
 * its id (the message, delivered again, is known).
 */
export function erasedStandIn(
  item: Pick<InboundItem, 'messageId' | 'messageType' | 'receivedAt'>,
  erasureId: string,
  subjectId: string,
): InboundItem {
  return {
    messageId: item.messageId,
    messageType: item.messageType,
    receivedAt: item.receivedAt,
    value: { erasedBy: erasureId, subjectId },
  };
}

/** Whether an item is the stand-in of a message erased with its record (`erasedStandIn`). */
export const isErased = (item: InboundItem) => typeof item.value.erasedBy === 'string';

interface MatchedReport {
  reportId: string;
  version?: unknown;
}

/** The reports an alert names (CrossBorderAlert.matched). */
const matchedOf = (value: Record<string, unknown>): MatchedReport[] =>
  Array.isArray(value.matched)
    ? (value.matched as unknown[]).filter(
        (m): m is MatchedReport => typeof (m as MatchedReport | null)?.reportId === 'string',
      )
    : [];

/** Whether an alert's matched report is a version `order` erased (a later version, sent after it, is not). */
const namesErased = (m: MatchedReport, order: ErasureOrder) =>
  m.reportId === order.subjectId && !(typeof m.version === 'number' && m.version > order.versionsUpTo);

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
  /** The latest erasure order of each record erased (the one erasing the most versions), by the record's id. */
  private readonly erasures = new Map<string, ErasureOrder>();
  /**
   * The alerts held whole (not erased) naming each report, by the report's id: an erasure order looks at those only.
   * (Each order read back at start once looked at every alert: 72 s to open a node with 50,000 alerts and 20,000 orders.)
   */
  private readonly alertsByReport = new Map<string, Set<InboundItem>>();
  /** Of the lists by type, how many items of each type are stand-ins of erased ones. */
  private readonly erasedOfTypes = new Map<string, number>();
  /** Lines of the file that still hold the content of a message erased since the store was opened. */
  private erasedLines = 0;
  private readonly erasureListeners: ((order: ErasureOrder, erased: Erased) => void)[] = [];
  /** Lines rewritten without their content (messages of erased records) when the store was opened. */
  readonly rewrittenAtStart: number = 0;
  /** Why the rewrite at start failed, if it did: the content stays in the file until a later start rewrites it. */
  readonly rewriteError: unknown;

  constructor(private readonly file: string) {
    discardUnfinishedRewrite(file);
    // A torn last line after a crash: its message was not committed, and is redelivered.
    this.bytes = readJsonLines<InboundItem>(file, (item, line) => this.index(item, line.offset, line.length));
    // The lines of messages erased (by an order taken while the node last ran, or read just now) lose their content.
    if (this.erasedLines > 0)
      try {
        this.rewrittenAtStart = this.rewrite();
      } catch (err) {
        this.rewriteError = err;
      }
  }

  /** `judged`: `add` found already whether it falls under an erasure (then it is given as its stand-in). */
  private index(item: InboundItem, offset: number, length: number, judged = false): void {
    if (this.messageIds.has(item.messageId)) return;
    this.messageIds.add(item.messageId);
    if (isErased(item)) {
      this.items.push(item);
      // A receipt's stand-in is in no list (receipts are listed by their record); another keeps its place in its type's.
      if (item.messageType !== 'Receipt') {
        this.listOf(item.messageType).push(item);
        this.countErased(item.messageType);
      }
      return;
    }
    // Read from the file (`add` keeps no such content): one of an erased record after its erasure, found at start.
    const erasure = judged ? undefined : this.erasureOnArrival(item);
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
      if (erasure) {
        summary.erasedBy = erasure.erasureId;
        this.erasedLines++;
        return;
      }
      const subject = v.subjectId as string;
      const filed = answersRenewal(v) ? this.renewalsBySubject : this.receiptsBySubject;
      const list = filed.get(subject);
      if (list) list.push(summary);
      else filed.set(subject, [summary]);
      return;
    }
    this.items.push(item);
    this.listOf(item.messageType).push(item);
    if (erasure) {
      this.erase(item, erasure.erasureId, erasure.subjectId);
      this.erasedLines++;
      return;
    }
    if (item.messageType === 'CrossBorderAlert') this.indexAlert(item);
    if (item.messageType === 'ErasureNotice') {
      const order = erasureOrderOf(item.value);
      if (order) this.apply(order);
    }
  }

  private listOf(messageType: string): InboundItem[] {
    let list = this.byType.get(messageType);
    if (!list) this.byType.set(messageType, (list = []));
    return list;
  }

  /** Files an alert held whole under each report it names. */
  private indexAlert(alert: InboundItem): void {
    for (const { reportId } of matchedOf(alert.value)) {
      const alerts = this.alertsByReport.get(reportId);
      if (alerts) alerts.add(alert);
      else this.alertsByReport.set(reportId, new Set([alert]));
    }
  }

  /** Takes an alert out of the lists of the reports it names (before it is erased: its stand-in names none). */
  private unindexAlert(alert: InboundItem): void {
    for (const { reportId } of matchedOf(alert.value)) {
      const alerts = this.alertsByReport.get(reportId);
      alerts?.delete(alert);
      if (alerts?.size === 0) this.alertsByReport.delete(reportId);
    }
  }

  private countErased(messageType: string): void {
    this.erasedOfTypes.set(messageType, (this.erasedOfTypes.get(messageType) ?? 0) + 1);
  }

  /** An item held whole made into its stand-in, in its place (the lists by type hold the same object). */
  private erase(item: InboundItem, erasureId: string, subjectId: string): void {
    item.value = erasedStandIn(item, erasureId, subjectId).value;
    this.countErased(item.messageType);
  }

  /**
   * The erasure that `item`, arriving now, falls under: a receipt of a version erased, an alert naming one. A receipt
   * without a version (a renewal's, or a refusal before its version was read) arriving after the erasure answers
   * something sent after it (a renewal too late): it is kept.
   */
  private erasureOnArrival(item: InboundItem): { erasureId: string; subjectId: string } | undefined {
    if (this.erasures.size === 0) return undefined;
    if (isReceipt(item)) {
      const order = this.erasures.get(item.value.subjectId as string);
      const version = item.value.subjectVersion;
      return order && typeof version === 'number' && version <= order.versionsUpTo
        ? { erasureId: order.erasureId, subjectId: order.subjectId }
        : undefined;
    }
    if (item.messageType === 'CrossBorderAlert')
      for (const m of matchedOf(item.value)) {
        const order = this.erasures.get(m.reportId);
        if (order && namesErased(m, order)) return { erasureId: order.erasureId, subjectId: order.subjectId };
      }
    return undefined;
  }

  /**
   * Applies an erasure order: the record's receipts held (its renewals' too; those of a version after the erased ones
   * stay) and the alerts naming an erased version of it become stand-ins. Told to the `onErasure` listeners.
   */
  private apply(order: ErasureOrder): void {
    const known = this.erasures.get(order.subjectId);
    if (!known || order.versionsUpTo >= known.versionsUpTo) this.erasures.set(order.subjectId, order);
    let receipts = 0;
    const mark = (s: ReceiptSummary) => {
      s.erasedBy = order.erasureId;
      receipts++;
    };
    const held = this.receiptsBySubject.get(order.subjectId) ?? [];
    const later = held.filter((s) => {
      // A version after those erased: sent again after the erasure, and taken by the hub as a new record.
      if (s.subjectVersion !== null && s.subjectVersion > order.versionsUpTo) return true;
      mark(s);
      return false;
    });
    if (later.length) this.receiptsBySubject.set(order.subjectId, later);
    else this.receiptsBySubject.delete(order.subjectId);
    for (const s of this.renewalsBySubject.get(order.subjectId) ?? []) mark(s);
    this.renewalsBySubject.delete(order.subjectId);
    // Those naming the record only; of them, those naming a later version only stay.
    const naming = [...(this.alertsByReport.get(order.subjectId) ?? [])].filter((alert) =>
      matchedOf(alert.value).some((m) => namesErased(m, order)),
    );
    for (const alert of naming) {
      this.unindexAlert(alert);
      this.erase(alert, order.erasureId, order.subjectId);
    }
    const alerts = naming.length;
    this.erasedLines += receipts + alerts;
    for (const l of this.erasureListeners) l(order, { receipts, alerts });
  }

  /**
   * Rewrites the file as the store holds it: the lines of erased messages as their stand-ins, the receipts' lines as
   * they are (their offsets moved to where they are now), the items held whole from memory; lines held by no item (a
   * message's second copy, a torn line) are left out. Crash-safe (`rewriteLines`); on a failure nothing changes.
   * Returns how many lines of erased messages it rewrote.
   */
  private rewrite(): number {
    const rewritten = this.erasedLines;
    const moved: ReceiptSummary[] = [];
    const movedTo: number[] = [];
    const standIns: [number, InboundItem][] = [];
    const size = rewriteLines(this.file, (line) => {
      let k = 0;
      /** Writes the items held whole up to the next receipt read from the file, and gives that receipt. */
      const wholeUpToReceipt = (): ReceiptSummary | undefined => {
        for (; k < this.items.length; k++) {
          const entry = this.items[k]!;
          if (!('messageId' in entry)) return entry;
          line(JSON.stringify(entry));
        }
        return undefined;
      };
      // The receipts' lines are in the file in the order they are held: one pass reads each once.
      eachLine(this.file, (text, offset) => {
        const receipt = wholeUpToReceipt();
        if (!receipt || receipt.offset !== offset) return;
        if (receipt.erasedBy === undefined) {
          moved.push(receipt);
          movedTo.push(line(text));
        } else {
          const item = JSON.parse(text) as InboundItem;
          const standIn = erasedStandIn(item, receipt.erasedBy, String(item.value.subjectId));
          line(JSON.stringify(standIn));
          standIns.push([k, standIn]);
        }
        k++;
      });
      const missing = wholeUpToReceipt();
      if (missing)
        throw new Error(
          `${this.file} changed under the node: no receipt at byte ${missing.offset} while rewriting it without the content of erased records (left as it was)`,
        );
    });
    for (let i = 0; i < moved.length; i++) moved[i]!.offset = movedTo[i]!;
    for (const [at, standIn] of standIns) this.items[at] = standIn;
    this.bytes = size;
    this.torn = false;
    this.erasedLines = 0;
    return rewritten;
  }

  private readonly listeners: ((item: InboundItem) => void)[] = [];

  /** Written by `add` since the last flush began. */
  private unsynced = false;
  /** The flush in progress, if one is. */
  private flushing: Promise<void> | undefined;

  /**
   * What `add` wrote, on the disk (fdatasync, off the event loop): run before the offsets of the messages added are
   * committed. One flush for a batch of messages, where one per message cost about 1.7 ms of the event loop each.
   * Callers may overlap (the consumer before it commits, the webhook before it saves its cursor): each resolves only
   * after a flush that began after its call, or after the last line added before it.
   */
  async sync(): Promise<void> {
    // A flush in progress may have begun before the lines this caller must see flushed were added, or may fail: it is
    // waited for, and then whatever it did not cover is flushed (a caller that returned at once while another's flush
    // was still under way let the consumer commit offsets of lines that were only in the page cache).
    while (this.flushing) await this.flushing.catch(() => undefined);
    if (!this.unsynced) return;
    // Cleared as the flush begins, so that a line added meanwhile is flushed by the next sync; set again if it fails
    // (the batch is then handled again, its messages known already: nothing else would flush them).
    this.unsynced = false;
    const flush = this.flush();
    this.flushing = flush;
    try {
      await flush;
    } catch (err) {
      this.unsynced = true;
      throw err;
    } finally {
      if (this.flushing === flush) this.flushing = undefined;
    }
  }

  private async flush(): Promise<void> {
    const handle = await open(this.file, 'r');
    try {
      await handle.datasync();
    } finally {
      await handle.close();
    }
  }

  /**
   * Idempotent: an already-known messageId is ignored. On the disk once `sync` has run after it. One of an erased record
   * arriving after its erasure (a receipt of an erased version, an alert naming one) is kept as its stand-in only.
   */
  add(received: InboundItem): boolean {
    if (this.messageIds.has(received.messageId)) return false;
    const erasure = this.erasureOnArrival(received);
    const item = erasure ? erasedStandIn(received, erasure.erasureId, erasure.subjectId) : received;
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
    this.index(item, offset, length, true);
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
    if ('messageId' in entry) return entry;
    const item = this.read(entry);
    // Erased since the file was last written: its content is read here and not given.
    return entry.erasedBy === undefined
      ? item
      : erasedStandIn(item, entry.erasedBy, String(item.value.subjectId));
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

  /**
   * Called with each item added after it is kept (not with those read at start): as kept, the stand-in of one that
   * arrived erased.
   */
  onAdd(listener: (item: InboundItem) => void): void {
    this.listeners.push(listener);
  }

  /** A record's receipts as held in memory, in the order they arrived: those of its versions, not its renewals. */
  receiptSummaries(subjectId: string): readonly ReceiptSummary[] {
    return this.receiptsBySubject.get(subjectId) ?? [];
  }

  /**
   * Whether the hub refused the envelope `messageId` this node sent of `subjectId`: the latest receipt answering it said
   * rejected (as receiptAnswering finds it). The very same body sent again is then signed and sent again, not answered
   * as the first time. By the latest, not any: a chunk the coordinator judged again after a crash may bring a second
   * receipt for the same envelope, and the later judgement is the one that stands.
   */
  refused(subjectId: string, messageId: string): boolean {
    return this.receiptSummaries(subjectId).findLast((r) => r.inReplyTo === messageId)?.status === 'rejected';
  }

  /** A record's receipts whole (read from the file), in the order they arrived: those of its versions. */
  receipts(subjectId: string): InboundItem[] {
    return this.receiptSummaries(subjectId).map((s) => this.read(s));
  }

  /** The receipts of a record's retention renewals whole (read from the file), in the order they arrived. */
  renewalReceipts(subjectId: string): InboundItem[] {
    return (this.renewalsBySubject.get(subjectId) ?? []).map((s) => this.read(s));
  }

  /**
   * The latest receipt answering the envelope `messageId` of `subjectId`, whole (only it read from the file), if any.
   * Found by the envelope its summary keeps: that of a message without versions (a request, an answer), or a refusal.
   */
  receiptAnswering(subjectId: string, messageId: string): InboundItem | undefined {
    const summary = this.receiptSummaries(subjectId).findLast((r) => r.inReplyTo === messageId);
    return summary && this.read(summary);
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

  /** How many of `ofType(messageType)` are stand-ins of items erased with a record (`isErased`). */
  erasedOfType(messageType: string): number {
    return this.erasedOfTypes.get(messageType) ?? 0;
  }

  /** The order that erased a record (the latest, when there were several), if it was erased. */
  erasureOf(subjectId: string): ErasureOrder | undefined {
    return this.erasures.get(subjectId);
  }

  /** Every erasure order received, in the order they arrived (this country's records' and others'). */
  erasureOrders(): ErasureOrder[] {
    return this.ofType('ErasureNotice').flatMap((n) => erasureOrderOf(n.value) ?? []);
  }

  /**
   * Called with each erasure order added (not with those read at start: `erasureOrders`), once it is applied, with
   * what it took from the store.
   */
  onErasure(listener: (order: ErasureOrder, erased: Erased) => void): void {
    this.erasureListeners.push(listener);
  }

  /** Lines of the file still holding the content of messages erased since it was opened: rewritten at the next start. */
  get erasedLinesInFile(): number {
    return this.erasedLines;
  }
}
