// Unit tier: the national node's requests log takes back, from the outbox, the requests and answers it signed but had
// not written down when it stopped, each once, and keeps them across a restart.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InformationRequestRecord, InformationResponseRecord } from '@hub/domain';
import { RequestsLog, type RequestsLogEntry } from '@hub/national-node/requests-log';

describe('national node: the requests log', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'hub-requests-log-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const handling = { tlp: 'AMBER', releasableTo: ['UZ'] } as unknown as InformationRequestRecord['handling'];
  const sent = (requestId: string, messageId: string): RequestsLogEntry => ({
    kind: 'sent',
    messageId,
    at: 1,
    request: {
      requestId,
      from: 'KZ',
      to: 'UZ',
      subjectKind: 'other',
      subjectRef: null,
      purpose: 'p',
      question: 'q',
      urgency: 'routine',
      dueAt: 2,
      sentAt: 1,
      handling,
      submittedBy: null,
    } as InformationRequestRecord,
  });
  const answered = (requestId: string, messageId: string): RequestsLogEntry => ({
    kind: 'answered',
    messageId,
    at: 3,
    response: {
      responseId: `${messageId}-response`,
      requestId,
      from: 'KZ',
      to: 'UZ',
      status: 'answered',
      answer: 'a',
      relatedReports: [],
      respondedAt: 3,
      handling,
      submittedBy: null,
    } as InformationResponseRecord,
  });

  it('adds what the outbox has and the log lacks, each once, and keeps it after a restart', () => {
    const file = join(dir, 'requests.jsonl');
    const log = new RequestsLog(file);
    log.add(sent('r1', 'm1'));
    log.add(answered('in1', 'm2'));

    const fromOutbox = [
      sent('r1', 'm1'),
      sent('r2', 'm3'),
      answered('in1', 'm2'),
      answered('in1', 'm4'),
      answered('in2', 'm5'),
    ];
    expect(log.recover(fromOutbox), 'r2, the second answer to in1 and the answer to in2').to.equal(3);
    expect(log.recover(fromOutbox), 'nothing missing the second time').to.equal(0);

    const reopened = new RequestsLog(file);
    expect(reopened.allSent().map((e) => e.request.requestId)).to.deep.equal(['r1', 'r2']);
    expect(reopened.answers('in1').map((e) => e.messageId)).to.deep.equal(['m2', 'm4']);
    expect(reopened.answers('in2').map((e) => e.messageId)).to.deep.equal(['m5']);
  });
});
