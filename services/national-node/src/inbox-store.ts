// What the coordinator sent this node (receipts, alerts, requests), kept in a JSON-lines file and indexed in memory.
import { appendFileSync } from 'node:fs';
import { readJsonLines } from './json-lines';

export interface InboundItem {
  messageId: string;
  messageType: string;
  receivedAt: number;
  value: Record<string, unknown>;
}

export class InboundStore {
  private readonly byMessage = new Map<string, InboundItem>();
  /** Everything, in the order it arrived. */
  private readonly items: InboundItem[] = [];
  private readonly receiptsBySubject = new Map<string, InboundItem[]>();
  /** Everything but receipts, by message type, in the order it arrived. */
  private readonly byType = new Map<string, InboundItem[]>();

  constructor(private readonly file: string) {
    // A torn last line after a crash: its message was not committed, and is redelivered.
    readJsonLines<InboundItem>(file, (item) => this.index(item));
  }

  private index(item: InboundItem): void {
    if (this.byMessage.has(item.messageId)) return;
    this.byMessage.set(item.messageId, item);
    this.items.push(item);
    const subject = item.value.subjectId;
    if (item.messageType === 'Receipt' && typeof subject === 'string') {
      this.receiptsBySubject.set(subject, [...(this.receiptsBySubject.get(subject) ?? []), item]);
    } else {
      let list = this.byType.get(item.messageType);
      if (!list) this.byType.set(item.messageType, (list = []));
      list.push(item);
    }
  }

  private readonly listeners: ((item: InboundItem) => void)[] = [];

  /** Idempotent: an already-known messageId is ignored. */
  add(item: InboundItem): boolean {
    if (this.byMessage.has(item.messageId)) return false;
    appendFileSync(this.file, `${JSON.stringify(item)}\n`);
    this.index(item);
    for (const l of this.listeners) l(item);
    return true;
  }

  /** Everything received, in the order it arrived (the same order after a restart). */
  all(): InboundItem[] {
    return [...this.items];
  }

  /** How many items were received. */
  get size(): number {
    return this.items.length;
  }

  /** The item received at `index` in that order (without copying the list, as `all` does). */
  at(index: number): InboundItem | undefined {
    return this.items[index];
  }

  /** Called with each item added after it is kept (not with those read at start). */
  onAdd(listener: (item: InboundItem) => void): void {
    this.listeners.push(listener);
  }

  receipts(subjectId: string): InboundItem[] {
    return this.receiptsBySubject.get(subjectId) ?? [];
  }

  /** Those of one type (not receipts), in the order they arrived: a copy, for the caller to sort or page. */
  ofType(messageType: string): InboundItem[] {
    return [...(this.byType.get(messageType) ?? [])];
  }
}
