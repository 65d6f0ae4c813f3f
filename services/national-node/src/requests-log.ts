// The node's own side of information requests: those it sent and the answers it gave, in a JSON-lines file
// (what arrives from the coordinator is in the inbound store). Durable before the agency gets its 202.
import { closeSync, fdatasyncSync, openSync, writeSync } from 'node:fs';
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

  constructor(private readonly file: string) {
    // A torn last line after a crash: that submission never got its 202.
    readJsonLines<RequestsLogEntry>(file, (entry) => this.index(entry));
  }

  private index(entry: RequestsLogEntry): void {
    this.messageIds.add(entry.messageId);
    // A request sent again (the hub refused it) takes the place of the one refused.
    if (entry.kind === 'sent') this.sentById.set(entry.request.requestId, entry);
    else {
      const id = entry.response.requestId;
      this.answersById.set(id, [...(this.answersById.get(id) ?? []), entry]);
    }
  }

  add(entry: RequestsLogEntry): void {
    // On the disk before the 202 (an append alone may still be in the page cache when the machine loses power).
    const bytes = Buffer.from(`${JSON.stringify(entry)}\n`);
    const fd = openSync(this.file, 'a');
    try {
      for (let written = 0; written < bytes.length;) written += writeSync(fd, bytes, written);
      fdatasyncSync(fd);
    } finally {
      closeSync(fd);
    }
    this.index(entry);
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
