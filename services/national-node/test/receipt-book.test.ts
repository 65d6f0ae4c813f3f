// The node's book of statuses, against the status of every record worked out from scratch: after any mix of new
// records, new versions and receipts (some arriving before the record they answer is recorded), every page of every
// list, followed by its cursors, holds exactly the records in that status, newest first, and the counts agree.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@hub/observability';
import { followErasures } from '../src/erasures';
import { InboundStore } from '../src/inbox-store';
import { ReportsIndex } from '../src/reports-index';
import { receiptBook, receiptStatus, unansweredWatch } from '../src/routes-receipts';
// The bench's deterministic generator (mulberry32), so that a failure is the same on every run.
import { random } from '../../../bench/reports';

const STATUSES = ['pending', 'accepted', 'rejected'] as const;

describe("a national node's book of statuses: each list page and count as if worked out from every record", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'hub-receipt-book-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const seed of [1, 2, 3]) {
    it(`agrees with every record's status after 3,000 random changes (seed ${seed})`, () => {
      const reports = new ReportsIndex(join(dir, `r${seed}.idx`));
      const inbound = new InboundStore(join(dir, `in${seed}.jsonl`));
      // As node.ts wires them: the index told of this country's erasure orders as the inbox takes them.
      followErasures({
        inbound,
        reports,
        country: 'KZ',
        logger: createLogger('test:book', { level: 'silent' }),
      });
      try {
        const next = random(seed);
        // The book made before anything happens, used only from the middle on: it starts from what is there then.
        const book = receiptBook({ reports, inbound });
        expect(receiptBook({ reports, inbound }), 'one book per node').to.equal(book);
        const statusOf = receiptStatus({ reports, inbound });
        let receipts = 0;
        const check = () => {
          const all = reports.ids();
          for (const id of all) expect([...STATUSES, 'erased'], id).to.include(statusOf(id).status);
          // The whole list: every record but those erased (their receipts are gone: they stand at no status).
          const listed = all.filter((id) => statusOf(id).status !== 'erased');
          const expected = {
            pending: all.filter((id) => statusOf(id).status === 'pending'),
            accepted: all.filter((id) => statusOf(id).status === 'accepted'),
            rejected: all.filter((id) => statusOf(id).status === 'rejected'),
          };
          expect(book.counts()).to.deep.equal({
            pending: expected.pending.length,
            accepted: expected.accepted.length,
            rejected: expected.rejected.length,
          });
          for (const status of [undefined, ...STATUSES]) {
            const limit = 1 + Math.floor(next() * 40);
            const seen: string[] = [];
            let end: number | undefined = reports.size;
            while (end !== undefined) {
              const page = book.page(status, limit, end);
              expect(page.ids.length).to.be.at.most(limit);
              if (page.next !== undefined)
                expect(page.ids.length, 'a full page before the next').to.equal(limit);
              seen.push(...page.ids);
              end = page.next;
            }
            expect(seen, `the ${status ?? 'whole'} list`).to.deep.equal(
              [...(status ? expected[status] : listed)].reverse(),
            );
          }
        };
        for (let step = 0; step < 3000; step++) {
          const id = `r-${Math.floor(next() * 400)}`;
          const roll = next();
          if (roll < 0.45) {
            const version = reports.next(id);
            reports.record(id, version, `d-${step}`, `m-${id}-${version}`, step);
          } else if (roll < 0.5) {
            // Erased at retention review, up to its latest version (or an earlier one: the next is sent meanwhile). As
            // an annual return's (its id is its year's): sent again after the erasure, it goes on as the version after
            // those erased, a record again (a report's would be refused, to be sent under a new id).
            const upTo = Math.max(0, reports.latest(id) - (next() < 0.2 ? 1 : 0));
            inbound.add({
              messageId: `erasure-${step}`,
              messageType: 'ErasureNotice',
              receivedAt: step,
              value: {
                erasureId: `erasure-${step}`,
                subjectType: 'AnnualReturn',
                subjectId: id,
                versionsUpTo: upTo,
                originCountry: 'KZ',
                reasonCode: 'retention_expired',
                orderedAt: step,
              },
            });
          } else {
            // A receipt of the latest version, of an earlier one, refused before its version was read, or of a
            // record not recorded yet.
            const latest = reports.latest(id);
            const version = latest === 0 ? 1 : Math.max(1, latest - (next() < 0.3 ? 1 : 0));
            const unread = next() < 0.25;
            inbound.add({
              messageId: `receipt-${++receipts}`,
              messageType: 'Receipt',
              receivedAt: step,
              value: {
                subjectId: id,
                subjectVersion: unread ? null : version,
                // Mostly what the coordinator sends; now and then what the schema also allows.
                status:
                  next() < 0.1
                    ? next() < 0.5
                      ? 'duplicate'
                      : 'unknown'
                    : next() < 0.7
                      ? 'accepted'
                      : 'rejected',
                inReplyTo: `m-${id}-${version}`,
                subjectType: 'SeizureReport',
                reasons: [],
              },
            });
          }
          if (step === 1500 || (step > 1500 && step % 250 === 0)) check();
        }
        check();
        expect(
          reports.ids().filter((id) => statusOf(id).status === 'erased'),
          'records erased, out of the lists',
        ).to.have.length.above(10);
        const watch = unansweredWatch({ reports, inbound }, () => 10_000);
        const waiting = reports.ids().filter((id) => statusOf(id).status === 'pending');
        const oldest = Math.min(...waiting.map((id) => reports.sentAtOf(id)!));
        expect(watch()).to.deep.equal({ count: waiting.length, oldestMs: 10_000 - oldest });
      } finally {
        reports.close();
      }
    });
  }
});
