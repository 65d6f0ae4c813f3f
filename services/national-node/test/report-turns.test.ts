// One report at a time: the same body sent twice at once is one version and its duplicate, whatever the channel.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { csvReportId } from '@hub/domain';
import { HubError } from '@hub/errors';
import { createLogger } from '@hub/observability';
import { createSeizureAcceptor } from '../src/app';
import { createCsvImporter } from '../src/routes-csv';
import { ReportTurns } from '../src/report-turns';
import { gate, minimal, startIntakeApp, type IntakeApp } from './intake-app';

const tick = () => new Promise((r) => setTimeout(r, 20));

/** Wait (at most 5 s) until `done` says so. */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 250 && !done(); i++) await tick();
  expect(done(), 'waited 5 s').to.equal(true);
}

describe('report turns: work on one report waits for the work begun on it before', () => {
  it('runs the works of one report in order, those of others side by side, and forgets a report once settled', async () => {
    const turns = new ReportTurns();
    const log: string[] = [];
    const first = gate();
    const a1 = turns.run('A', async () => {
      log.push('a1 begun');
      await first.promise;
      log.push('a1 done');
      return 1;
    });
    // The same report in another letter case: waits.
    const a2 = turns.run('a', async () => {
      log.push('a2 begun');
      return 2;
    });
    const b = turns.run('B', async () => {
      log.push('b begun');
      return 3;
    });
    await tick();
    expect(log).to.deep.equal(['a1 begun', 'b begun']);
    expect(turns.busy).to.equal(1);
    first.open();
    expect(await Promise.all([a1, a2, b])).to.deep.equal([1, 2, 3]);
    expect(log).to.deep.equal(['a1 begun', 'b begun', 'a1 done', 'a2 begun']);
    await tick();
    expect(turns.busy).to.equal(0);
  });

  it('goes on with the next work of a report when one fails', async () => {
    const turns = new ReportTurns();
    const failed = turns.run('A', async () => {
      await tick();
      throw new Error('disk full');
    });
    const next = turns.run('A', async () => 'taken');
    expect(await failed.catch((e: Error) => e.message)).to.equal('disk full');
    expect(await next).to.equal('taken');
  });
});

describe('national node intake: the same report sent twice at once', () => {
  let node: IntakeApp;
  beforeEach(async () => {
    node = await startIntakeApp();
    // A first report, so that the vocabularies are loaded and the connections open before two bodies race.
    expect((await node.post('/v1/seizures', minimal)).status).to.equal(202);
    node.submitted.length = node.begun.length = 0;
  });
  afterEach(() => node.close());

  /** Hold every submission up until `open`. */
  const holdSubmissions = () => {
    const g = gate();
    node.onSubmit = () => g.promise;
    return g;
  };
  /** Once one submission is held up: time enough for the other body of a race to arrive and, unless held, begin. */
  const bothArrived = async () => {
    await until(() => node.begun.length >= 1);
    await new Promise((r) => setTimeout(r, 150));
  };

  it('answers the second of two identical bodies sent at once as a duplicate of the first', async () => {
    const body = { ...minimal, reportId: randomUUID() };
    const held = holdSubmissions();
    const both = Promise.all([node.post('/v1/seizures', body), node.post('/v1/seizures', body)]);
    await bothArrived();
    expect(node.begun).to.have.length(1);
    held.open();
    // Whichever the node took first is the version; the other, its duplicate.
    const [one, two] = (await both).sort(
      (a, b) => Number(a.body.duplicate ?? 0) - Number(b.body.duplicate ?? 0),
    );
    expect([one!.status, two!.status]).to.deep.equal([202, 202]);
    expect([one!.body.version, two!.body.version]).to.deep.equal([1, 1]);
    expect(one!.body.duplicate).to.equal(undefined);
    expect(two!.body.duplicate).to.equal(true);
    expect(two!.body.messageId).to.equal(one!.body.messageId);
    expect(node.submitted).to.have.length(1);
  });

  it('makes two different bodies sent at once the next versions, in the order they came', async () => {
    const reportId = randomUUID();
    const held = holdSubmissions();
    const both = Promise.all([
      node.post('/v1/seizures', { ...minimal, reportId, notes: 'first' }),
      node.post('/v1/seizures', { ...minimal, reportId, notes: 'second' }),
    ]);
    await bothArrived();
    // The second waits for the first: it is not signed while the first is not in the outbox.
    expect(node.begun).to.have.length(1);
    held.open();
    const [one, two] = await both;
    expect([one.body.version, two.body.version].sort()).to.deep.equal([1, 2]);
    // Each in the outbox in the order of its version.
    expect(node.submitted.map((s) => s.value.version)).to.deep.equal([1, 2]);
    const versionOf = (notes: string) => node.submitted.find((s) => s.value.notes === notes)!.value.version;
    expect([versionOf('first'), versionOf('second')]).to.deep.equal([one.body.version, two.body.version]);
  });

  it('numbers two bodies of one annual return, or of one route, sent at once in the order they are signed', async () => {
    const annual = (kg: number) => ({
      year: 2025,
      rows: [{ drugName: 'Heroin', drugGroup: 'Opioids', kilograms: kg }],
      handling: { tlp: 'GREEN' },
    });
    const route = (routeId: string, name: string) => ({
      routeId,
      name,
      legs: [{ from: 'TJ', to: 'KZ' }],
      handling: { tlp: 'GREEN' },
    });
    const routeId = randomUUID();
    for (const [path, bodies] of [
      ['/v1/annual-returns', [annual(1), annual(2)]],
      ['/v1/routes', [route(routeId.toUpperCase(), 'first'), route(routeId, 'second')]],
    ] as const) {
      node.submitted.length = 0;
      node.begun.length = 0;
      const held = holdSubmissions();
      const both = Promise.all(bodies.map((b) => node.post(path, b)));
      await bothArrived();
      expect(node.begun, path).to.have.length(1);
      held.open();
      const answers = await both;
      expect(answers.map((a) => a.status)).to.deep.equal([202, 202]);
      expect(
        node.submitted.map((x) => x.value.version),
        path,
      ).to.deep.equal([1, 2]);
      for (const a of answers)
        expect(
          node.submitted.find((x) => x.value.version === a.body.version),
          path,
        ).to.not.equal(undefined);
    }
  });

  it('sends the second when the first failed, and the next one after that too', async () => {
    const body = { ...minimal, reportId: randomUUID() };
    let calls = 0;
    node.onSubmit = async () => {
      await tick();
      if (++calls === 1)
        throw new HubError('OUTBOX_WRITE_FAILED', 'could not write to the outbox', { retriable: true });
    };
    const answers = await Promise.all([node.post('/v1/seizures', body), node.post('/v1/seizures', body)]);
    // Whichever came first failed; the other was sent, not held up nor answered as a duplicate of nothing.
    const two = answers.find((a) => a.status !== 503)!;
    expect(answers.map((a) => a.status).sort()).to.deep.equal([202, 503]);
    expect(two.body.duplicate).to.equal(undefined);
    const three = await node.post('/v1/seizures', body);
    expect(three.body).to.include({ version: two.body.version, duplicate: true });
    expect(node.submitted).to.have.length(1);
  });

  it('answers the second of two identical batches sent at once with duplicates, not second versions', async () => {
    const items = Array.from({ length: 50 }, () => ({ ...minimal, reportId: randomUUID() }));
    const held = holdSubmissions();
    const both = Promise.all([
      node.post('/v1/seizures/batch', items),
      node.post('/v1/seizures/batch', items),
    ]);
    await bothArrived();
    expect(node.begun).to.have.length(50);
    held.open();
    const answers = await both;
    expect(answers.map((a) => a.status)).to.deep.equal([202, 202]);
    const results = (a: (typeof answers)[0]) => a.body.results as { version: number; duplicate?: boolean }[];
    for (const a of answers) expect(results(a).map((r) => r.version)).to.deep.equal(items.map(() => 1));
    // One batch made the versions, the other is answered with them: how many of each were duplicates.
    const duplicates = answers.map((a) => results(a).filter((r) => r.duplicate === true).length).sort();
    expect(duplicates).to.deep.equal([0, 50]);
    expect(node.submitted).to.have.length(50);
  });

  it('has a report sent as JSON wait for the same report being imported from a CSV', async () => {
    const reportId = csvReportId('KZ', 'TURN-1');
    const held = holdSubmissions();
    const file = [
      'Seizure Reference,Seizure Date,Drug/Substance,Quantity Seized,Measurement Unit,Agency,TLP',
      'TURN-1,2026-04-01,Heroin,2.5,kg,customs,AMBER',
    ].join('\n');
    const imported = node.post('/v1/seizures/csv', file, { 'content-type': 'text/csv' });
    await until(() => node.begun.length === 1);
    const posted = node.post('/v1/seizures', { ...minimal, reportId, notes: 'after the file' });
    await new Promise((r) => setTimeout(r, 150));
    expect(node.begun.map((s) => s.value.notes ?? null)).to.deep.equal([null]);
    held.open();
    const [csv, json] = await Promise.all([imported, posted]);
    expect(csv.status, JSON.stringify(csv.body)).to.equal(202);
    expect(json.body).to.include({ reportId, version: 2 });
    expect(node.submitted.map((s) => s.value.version)).to.deep.equal([1, 2]);
  });

  // A CSV's rows are validated as the file arrives, before their turns: their versions must still be given in turn.
  for (const between of ['a second JSON body', 'a withdrawal'] as const)
    it(`gives a CSV row for a report its version in its turn, after ${between} waiting before it`, async () => {
      const reportId = csvReportId('KZ', 'TURN-2');
      const held = holdSubmissions();
      const first = node.post('/v1/seizures', { ...minimal, reportId, notes: 'json A' });
      await until(() => node.begun.length === 1);
      const second =
        between === 'a withdrawal'
          ? node.post(`/v1/seizures/${reportId}/retract`, { reason: 'entered twice' })
          : node.post('/v1/seizures', { ...minimal, reportId, notes: 'json B' });
      await new Promise((r) => setTimeout(r, 150));
      const file = [
        'Seizure Reference,Seizure Date,Drug/Substance,Quantity Seized,Measurement Unit,Agency,TLP,Notes',
        'TURN-2,2026-04-01,Heroin,2.5,kg,customs,AMBER,csv',
      ].join('\n');
      const imported = node.post('/v1/seizures/csv', file, { 'content-type': 'text/csv' });
      await new Promise((r) => setTimeout(r, 150));
      expect(node.begun).to.have.length(1);
      held.open();
      const [a, b, csv] = await Promise.all([first, second, imported]);
      expect([a.status, b.status, csv.status], JSON.stringify(csv.body)).to.deep.equal([202, 202, 202]);
      // Taken in the order of their turns, each the next version: the row that came last is the latest.
      const what = (s: (typeof node.submitted)[0]) =>
        s.type === 'SeizureRetraction' ? 'withdrawal' : s.value.notes;
      expect(node.submitted.map((s) => `${String(s.value.version)} ${String(what(s))}`)).to.deep.equal([
        '1 json A',
        `2 ${between === 'a withdrawal' ? 'withdrawal' : 'json B'}`,
        '3 csv',
      ]);
      expect(
        node.submitted.filter((s) => s.type === 'SeizureReport').map((s) => s.value.supersedesVersion),
      ).to.deep.equal(between === 'a withdrawal' ? [null, 2] : [null, 1, 2]);
      // Each answered with the version it went out as.
      expect(a.body.version).to.equal(1);
      expect(b.body.version).to.equal(2);
      const [row] = csv.body.results as { version: number; status: string }[];
      expect(row).to.include({ status: 'queued', version: 3 });
      expect(node.reports.latest(reportId)).to.equal(3);
    });

  it('gives a row of the inbox folder’s CSV its version in the turn it shares with the API', async () => {
    const reportId = csvReportId('KZ', 'TURN-3');
    // As node.ts wires the inbox folder: an acceptor of its own over the same index, here signing into the same list.
    const inbox = createCsvImporter({
      logger: createLogger('test:inbox', { level: 'silent' }),
      acceptor: createSeizureAcceptor({
        country: 'KZ',
        reports: node.reports,
        regions: new Set(['central-asia']),
        submitter: {
          async submit(type, key, value) {
            node.submitted.push({ type, key, value: value as Record<string, unknown> });
            return { messageId: randomUUID() };
          },
        },
      }),
    });
    const held = holdSubmissions();
    const first = node.post('/v1/seizures', { ...minimal, reportId, notes: 'json A' });
    await until(() => node.begun.length === 1);
    const second = node.post('/v1/seizures', { ...minimal, reportId, notes: 'json B' });
    await new Promise((r) => setTimeout(r, 150));
    const imported = inbox(
      [
        'Seizure Reference,Seizure Date,Drug/Substance,Quantity Seized,Measurement Unit,Agency,TLP,Notes',
        'TURN-3,2026-04-01,Heroin,2.5,kg,customs,AMBER,inbox',
      ].join('\n'),
      { channel: 'inbox' },
    );
    await new Promise((r) => setTimeout(r, 150));
    held.open();
    const [a, b, file] = await Promise.all([first, second, imported]);
    expect(node.submitted.map((s) => `${String(s.value.version)} ${String(s.value.notes)}`)).to.deep.equal([
      '1 json A',
      '2 json B',
      '3 inbox',
    ]);
    expect([a.body.version, b.body.version, file.results[0]?.version]).to.deep.equal([1, 2, 3]);
  });
});
