// The node's own side of information requests: those it sent and the answers it gave, in a JSON-lines file
// (what arrives from the coordinator is in the inbound store). Durable before the agency gets its 202, unless the
// write fails (a full disk): the entry is then kept in memory and written again, on a line of its own, with the next
// and by `sync()`, which throws while any is unwritten, so that the outbox keeps the records to rebuild it from.
import { closeSync, fdatasyncSync, openSync, writeSync } from 'node:fs';
import { HubError } from '@hub/errors';
import { readJsonLines } from './json-lines';
import type { InformationRequestRecord, InformationResponseRecord } from '@hub/domain';

export type RequestsLogEntry =
  | {
      kind: 'sent';
      messageId: string;
      at: number;
      request: InformationRequestRecord;
      /**
       * The digest of the agency's body it was made from, and what the node normalised in it: the same body sent
       * again (its 202 lost) is answered as the first time. Absent on requests sent before it was kept.
       */
      digest?: string;
      normalisations?: string[];
    }
  | {
      kind: 'answered';
      messageId: string;
      at: number;
      response: InformationResponseRecord;
      /**
       * As a request's: the digest of the agency's body the answer was made from, and what the node normalised in it
       * (the same answer sent again is answered as the first time). Absent on answers given before it was kept.
       */
      digest?: string;
      normalisations?: string[];
    };

export class RequestsLog {
  private readonly sentById = new Map<string, Extract<RequestsLogEntry, { kind: 'sent' }>>();
  private readonly answersById = new Map<string, Extract<RequestsLogEntry, { kind: 'answered' }>[]>();
  /** The envelope of every entry, a request's sending the hub refused among them (`sent` gives its sending again). */
  private readonly messageIds = new Set<string>();
  /** Lines of entries whose write failed, oldest first: written again with the next entry, or by `sync`. */
  private readonly kept: string[] = [];
  /** The file may end in part of a line (a write that failed part-way): the next write begins with a line break. */
  private torn = false;

  constructor(private readonly file: string) {
    // A torn last line after a crash: that submission never got its 202 (or, its write failed, was taken back from
    // the outbox at the start).
    readJsonLines<RequestsLogEntry>(file, (entry) => this.index(entry));
  }

  /** Takes `entry` in, once: a line written twice (its flush failed, and it was written again) is one entry. */
  private index(entry: RequestsLogEntry): void {
    if (this.messageIds.has(entry.messageId)) return;
    this.messageIds.add(entry.messageId);
    // A request sent again (the hub refused it) takes the place of the one refused.
    if (entry.kind === 'sent') this.sentById.set(entry.request.requestId, entry);
    else {
      const id = entry.response.requestId;
      this.answersById.set(id, [...(this.answersById.get(id) ?? []), entry]);
    }
  }

  /**
   * Takes `entry` in and writes it to the disk (flushed). Throws when it cannot: the entry is held all the same (the
   * node sent it), and its line kept and written again by the next `add` or `sync`.
   */
  add(entry: RequestsLogEntry): void {
    if (this.messageIds.has(entry.messageId)) return;
    this.index(entry);
    this.kept.push(JSON.stringify(entry));
    this.write();
  }

  /** Writes again the entries whose write failed, flushed: throws while any cannot be. */
  sync(): void {
    this.write();
  }

  /** Entries held whose line is not on the disk yet. */
  get unwritten(): number {
    return this.kept.length;
  }

  private write(): void {
    if (this.kept.length === 0) return;
    // On the disk before the 202 (an append alone may still be in the page cache when the machine loses power).
    const bytes = Buffer.from(`${this.torn ? '\n' : ''}${this.kept.join('\n')}\n`);
    try {
      const fd = openSync(this.file, 'a');
      try {
        for (let written = 0; written < bytes.length;) written += writeSync(fd, bytes, written);
        fdatasyncSync(fd);
      } finally {
        closeSync(fd);
      }
    } catch (err) {
      // Part of it may be on the disk: the next write starts on a line of its own, and writes all of them again.
      this.torn = true;
      throw new HubError(
        'NODE_FILE_WRITE_FAILED',
        `could not write to ${this.file}: ${(err as Error).message}; what could not be written is kept in memory and written again before the outbox forgets the records it came from`,
        { retriable: true, cause: err, details: { file: this.file, unwrittenEntries: this.kept.length } },
      );
    }
    this.kept.length = 0;
    this.torn = false;
  }

  /**
   * Entries signed into the outbox whose line the log never got (a stop between the two writes): taken from the
   * outbox's unpublished records as it is opened, as the reports index is. Returns how many were missing.
   */
  recover(fromOutbox: readonly RequestsLogEntry[]): number {
    let missing = 0;
    for (const entry of fromOutbox) {
      // By the envelope, not the request's id: the log may hold a request the hub refused, and the outbox its sending
      // again (which is newer than anything the log holds of it: one is sent again only once the hub's refusal came).
      if (this.messageIds.has(entry.messageId)) continue;
      this.add(entry);
      missing++;
    }
    return missing;
  }

  /** A request this node sent. */
  sent(requestId: string): Extract<RequestsLogEntry, { kind: 'sent' }> | undefined {
    return this.sentById.get(requestId);
  }

  /** The request this node sent as `requestId` from a body of this digest, if it did. */
  sentFrom(requestId: string, digest: string): Extract<RequestsLogEntry, { kind: 'sent' }> | undefined {
    const sent = this.sentById.get(requestId);
    return sent?.digest === digest ? sent : undefined;
  }

  allSent(): Extract<RequestsLogEntry, { kind: 'sent' }>[] {
    return [...this.sentById.values()];
  }

  /** The latest answer this node gave to `requestId` from a body of this digest, if it did. */
  answeredFrom(
    requestId: string,
    digest: string,
  ): Extract<RequestsLogEntry, { kind: 'answered' }> | undefined {
    return this.answers(requestId).findLast((a) => a.digest === digest);
  }

  /** The answers this node gave to a request addressed to it, oldest first. */
  answers(requestId: string): Extract<RequestsLogEntry, { kind: 'answered' }>[] {
    return this.answersById.get(requestId) ?? [];
  }
}
