// A node restarted after a crash between the outbox's write and the version index's: each version is taken back from
// its outbox record (recoveredFrom, as the node does as it opens its outbox) with the kind of record it went as, so
// that a route or an annual return is still known as one (its withdrawal refused) and a withdrawal as a withdrawal
// (the very body it withdrew, sent again, refused). Over a real outbox and signer in a directory of the test's own.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { routeReportFromJson } from '@hub/domain';
import { loadSchemaRegistry } from '@hub/schemas';
import { signerOf, testPki } from '../../pki/test/fixtures';
import { createSeizureAcceptor } from '../src/app';
import { recoveredFrom } from '../src/node';
import { OutboxLog } from '../src/outbox/log';
import type { Publisher } from '../src/outbox/publisher';
import { bodyDigest } from '../src/report-digest';
import { ReportsIndex } from '../src/reports-index';
import { createSubmitter } from '../src/submit';
import { minimal } from './intake-app';

describe('national node: record kinds recovered from the outbox after a crash', function () {
  this.timeout(30000);
  const registry = loadSchemaRegistry();
  const signer = signerOf(testPki().kz, 'KZ');
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hub-node-kinds-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('knows a route as a route and a withdrawn report as withdrawn, from the outbox alone', async () => {
    const outboxDir = join(dir, 'outbox');
    const before = OutboxLog.open({ dir: outboxDir });
    const submitter = createSubmitter({
      registry,
      signer,
      log: before.log,
      publisher: { enqueue: () => undefined } as unknown as Publisher,
    });
    const lost = new ReportsIndex(join(dir, 'lost.idx'));
    const acceptor = createSeizureAcceptor({
      country: 'KZ',
      submitter,
      reports: lost,
      regions: new Set(['central-asia']),
    });
    const { reportId } = await acceptor.accept(minimal);
    await acceptor.retract(reportId, 'entered in error');
    const route = routeReportFromJson(
      { name: 'Northern route', legs: [{ from: 'TJ', to: 'KZ' }], handling: { tlp: 'GREEN' } },
      { nodeCountry: 'KZ', now: Date.now(), versionOf: () => 1, regions: new Set(['central-asia']) },
    ).value;
    await submitter.submit('TraffickingRoute', route.routeId, route);
    lost.close();
    await before.log.close();

    // As after a crash before any of it reached the index: a new index, the outbox's records unpublished.
    const found: Parameters<ReportsIndex['reconcile']>[0] = [];
    const after = OutboxLog.open({
      dir: outboxDir,
      onRecord: (record) => {
        const { version } = recoveredFrom(record, registry);
        if (version) found.push(version);
      },
    });
    expect(found.map((f) => `${f.type} ${f.version}`)).to.deep.equal([
      'SeizureReport 1',
      'SeizureRetraction 2',
      'TraffickingRoute 1',
    ]);
    const index = new ReportsIndex(join(dir, 'reports.idx'));
    expect(index.reconcile(found)).to.equal(3);
    expect(index.kindOf(route.routeId)).to.equal('TraffickingRoute');
    expect(index.kindOf(reportId)).to.equal('SeizureReport');
    expect(index.sameAsWithdrawn(reportId, bodyDigest(minimal))).to.include({ version: 1, withdrawnAt: 2 });
    index.close();
    await after.log.close();
  });
});
