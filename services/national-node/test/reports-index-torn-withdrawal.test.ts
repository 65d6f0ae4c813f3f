// A withdrawal's line in the version index torn by a failed write or a crash, wherever the tear falls, never loses
// which version the withdrawal withdrew: the same body sent again would put the report back.
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReportsIndex } from '../src/reports-index';

const ID = '11111111-1111-4111-8111-111111111111';
const AT = Date.UTC(2026, 11, 9);
const REPORT = `${ID} 1 DIGEST m1 ${AT} SeizureReport`;
const WITHDRAWAL = `${ID} 2 - m2 ${AT} SeizureRetraction`;
/** The withdrawal's line cut short: inside its type, after its time, in its time, after and inside its message id. */
const FRAGMENTS = [
  `${ID} 2 - m2 ${AT} SeizureRetr`,
  `${ID} 2 - m2 ${AT}`,
  `${ID} 2 - m2 179`,
  `${ID} 2 - m2`,
  `${ID} 2 - m`,
  `${ID} 2 -`,
];
/** What the outbox still holds of the withdrawal after a crash (reconcile's input). */
const FROM_OUTBOX = [{ reportId: ID, version: 2, messageId: 'm2', sentAt: AT, type: 'SeizureRetraction' }];
const WITHDRAWN = { version: 1, withdrawnAt: 2, withdrawalMessageId: 'm2' };

describe("the node's version index: a withdrawal's line torn anywhere", () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hub-index-torn-withdrawal-'));
    file = join(dir, 'reports.idx');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** The index over `text`, asked what it knows of the withdrawn body, then closed. */
  const withdrawnAfterOpening = (reconcile = false) => {
    const index = new ReportsIndex(file);
    try {
      if (reconcile) index.reconcile(FROM_OUTBOX);
      return {
        withdrawn: index.sameAsWithdrawn(ID, 'DIGEST'),
        kind: index.kindOf(ID),
        latest: index.latest(ID),
      };
    } finally {
      index.close();
    }
  };

  for (const fragment of FRAGMENTS) {
    const cut = JSON.stringify(fragment.slice(ID.length + 1));
    it(`knows the withdrawn body from a fragment ${cut} followed by the line written again whole`, () => {
      writeFileSync(file, `${REPORT}\n${fragment}\n${WITHDRAWAL}\n`);
      expect(withdrawnAfterOpening()).to.deep.equal({
        withdrawn: WITHDRAWN,
        kind: 'SeizureReport',
        latest: 2,
      });
      // Taken over from the outbox again (the same version), closed, opened again: still known.
      expect(withdrawnAfterOpening(true).withdrawn).to.deep.equal(WITHDRAWN);
      expect(withdrawnAfterOpening().withdrawn).to.deep.equal(WITHDRAWN);
    });

    it(`knows it after a crash left ${cut} as the file's last line: taken over from the outbox, then opened again`, () => {
      writeFileSync(file, `${REPORT}\n${fragment}`);
      expect(withdrawnAfterOpening(true).withdrawn).to.deep.equal(WITHDRAWN);
      const text = readFileSync(file, 'utf8');
      expect(text.endsWith(`\n${WITHDRAWAL}\n`), text).to.equal(true);
      expect(withdrawnAfterOpening().withdrawn).to.deep.equal(WITHDRAWN);
    });

    it(`keeps it when the line read whole is followed by a fragment ${cut} (a failed flush written again)`, () => {
      writeFileSync(file, `${REPORT}\n${WITHDRAWAL}\n${fragment}\n${WITHDRAWAL}\n`);
      expect(withdrawnAfterOpening().withdrawn).to.deep.equal(WITHDRAWN);
      writeFileSync(file, `${REPORT}\n${WITHDRAWAL}\n${fragment}\n`);
      expect(withdrawnAfterOpening().withdrawn).to.deep.equal(WITHDRAWN);
    });
  }

  it('takes a withdrawal over from the outbox when only an untyped fragment of it was ended by a crash', () => {
    // The tear fell just after a line break that ended the fragment: the file ends whole.
    writeFileSync(file, `${REPORT}\n${ID} 2 - m2\n`);
    expect(withdrawnAfterOpening(true).withdrawn).to.deep.equal(WITHDRAWN);
    expect(withdrawnAfterOpening().withdrawn).to.deep.equal(WITHDRAWN);
  });

  it('still follows a withdrawal of a withdrawal, and forgets it once a later version is sent', () => {
    writeFileSync(
      file,
      `${REPORT}\n${WITHDRAWAL}\n${ID} 3 - m3 ${AT} SeizureRe\n${ID} 3 - m3 ${AT} SeizureRetraction\n`,
    );
    expect(withdrawnAfterOpening().withdrawn).to.deep.equal({
      ...WITHDRAWN,
      withdrawnAt: 3,
      withdrawalMessageId: 'm3',
    });
    const index = new ReportsIndex(file);
    index.record(ID, 4, 'OTHER', 'm4', AT, 'SeizureReport');
    index.close();
    expect(withdrawnAfterOpening().withdrawn).to.equal(undefined);
  });
});
