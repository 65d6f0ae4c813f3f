// What the coordinator sent a node is on its disk before the Kafka offsets of those messages are committed (`sync`,
// once per fetched batch): a message lost from the page cache by a power loss would never be delivered again.
import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ErasureOrder } from '../src/erasure-order';
import { InboundStore, isErased, type Erased, type InboundItem } from '../src/inbox-store';

describe("a node's store of what the coordinator sent it", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hub-inbox-store-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const receipt = (n: number): InboundItem => ({
    messageId: `receipt-${n}`,
    messageType: 'Receipt',
    receivedAt: n,
    value: {
      subjectId: `r-${n}`,
      subjectVersion: 1,
      subjectType: 'SeizureReport',
      status: 'accepted',
      inReplyTo: `m-${n}`,
      reasons: [],
    },
  });

  /** Each datasync of the file `file` during `run`: the file's length when its data was flushed. */
  const datasyncsOf = async (file: string, run: () => Promise<void>): Promise<number[]> => {
    const flushed: number[] = [];
    const probe = await open(join(dir, 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as FileHandle;
    await probe.close();
    const real = proto.datasync;
    proto.datasync = async function (this: FileHandle) {
      await real.call(this);
      const of = await this.stat();
      const target = statSync(file, { throwIfNoEntry: false });
      if (target && of.ino === target.ino && of.dev === target.dev) flushed.push(of.size);
    };
    try {
      await run();
    } finally {
      proto.datasync = real;
    }
    return flushed;
  };

  it('flushes what add wrote, whole, when synced (before the offsets are committed), once for many', async () => {
    const file = join(dir, 'inbound.jsonl');
    const inbound = new InboundStore(file);
    const sizes: number[] = [];
    const flushed = await datasyncsOf(file, async () => {
      for (const n of [1, 2]) expect(inbound.add(receipt(n))).to.equal(true);
      sizes.push(statSync(file).size);
      await inbound.sync();
      // Nothing new, or one it has already (nothing written): nothing to flush.
      await inbound.sync();
      expect(inbound.add(receipt(2))).to.equal(false);
      await inbound.sync();
      expect(inbound.add(receipt(3))).to.equal(true);
      sizes.push(statSync(file).size);
      await inbound.sync();
    });
    expect(flushed, 'one flush for the first two, one for the third, each with the whole file').to.deep.equal(
      sizes,
    );
    expect(new InboundStore(file).all().map((i) => i.messageId)).to.deep.equal([
      'receipt-1',
      'receipt-2',
      'receipt-3',
    ]);
  });

  /**
   * The datasyncs of `file`, each held until `letGo` (and those after it not held): `held` resolves once one is held.
   * `events` gets each flush of it as it ends, with the file's length when it began.
   */
  const holdDatasyncs = async (file: string, events: string[]) => {
    const probe = await open(join(dir, 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as FileHandle;
    await probe.close();
    const real = proto.datasync;
    const holding: (() => void)[] = [];
    let letGo = false;
    let onHeld: (() => void) | undefined;
    proto.datasync = async function (this: FileHandle) {
      const of = await this.stat();
      const target = statSync(file, { throwIfNoEntry: false });
      if (!target || of.ino !== target.ino || of.dev !== target.dev) return real.call(this);
      if (!letGo)
        await new Promise<void>((resolve) => {
          holding.push(resolve);
          onHeld?.();
        });
      await real.call(this);
      events.push(`flushed ${of.size}`);
    };
    return {
      held: () => (holding.length ? Promise.resolve() : new Promise<void>((r) => (onHeld = r))),
      letGo: () => {
        letGo = true;
        for (const release of holding.splice(0)) release();
      },
      restore: () => {
        proto.datasync = real;
      },
    };
  };

  it('resolves a sync called while another one flushes only after a flush that covers what was added before it', async () => {
    const file = join(dir, 'inbound.jsonl');
    const inbound = new InboundStore(file);
    const events: string[] = [];
    const hold = await holdDatasyncs(file, events);
    try {
      inbound.add(receipt(1));
      inbound.add(receipt(2));
      /** A sync called now, noting when it resolves and how long the file was when it was called. */
      const syncNow = (who: string) => {
        const size = statSync(file).size;
        return { who, size, done: inbound.sync().then(() => events.push(`${who} synced`)) };
      };
      // The webhook's sync, its flush under way when the consumer's batch ends: nothing added since, but its lines are
      // not on the disk yet; then a line added while that flush is still under way, and synced.
      const webhook = syncNow('webhook');
      await hold.held();
      const consumer = syncNow('consumer');
      inbound.add(receipt(3));
      const later = syncNow('later');
      // Everything that runs without the held flush has run: none of them may have resolved.
      await new Promise(setImmediate);
      expect(events, 'resolved while the flush was held').to.deep.equal([]);
      hold.letGo();
      await Promise.all([webhook.done, consumer.done, later.done]);
      for (const { who, size } of [webhook, consumer, later]) {
        const synced = events.indexOf(`${who} synced`);
        const covering = events.findIndex((e) => e.startsWith('flushed ') && Number(e.slice(8)) >= size);
        expect(covering, `a flush of ${size} bytes or more before ${who} synced (${events.join(', ')})`)
          .to.be.at.least(0)
          .and.below(synced);
      }
    } finally {
      hold.restore();
    }
  });

  it("files a renewal's receipt apart from its record's, also when read back at the next start", () => {
    const file = join(dir, 'inbound.jsonl');
    const inbound = new InboundStore(file);
    inbound.add(receipt(1));
    inbound.add({
      messageId: 'receipt-renewal',
      messageType: 'Receipt',
      receivedAt: 2,
      value: {
        subjectId: 'r-1',
        subjectVersion: null,
        subjectType: 'RetentionRenewal',
        status: 'rejected',
        inReplyTo: 'm-renewal',
        reasons: [],
      },
    });
    for (const store of [inbound, new InboundStore(file)]) {
      expect(store.receiptSummaries('r-1').map((s) => s.subjectVersion)).to.deep.equal([1]);
      expect(store.lastReceipt('r-1')!.messageId).to.equal('receipt-1');
      expect(store.renewalReceipts('r-1').map((r) => r.messageId)).to.deep.equal(['receipt-renewal']);
      expect(
        store.all().map((i) => i.messageId),
        'everything, in order',
      ).to.deep.equal(['receipt-1', 'receipt-renewal']);
    }
  });

  it('tells whether the hub refused an envelope of a record, by the receipt answering it', () => {
    const inbound = new InboundStore(join(dir, 'inbound.jsonl'));
    const answer = (n: number, inReplyTo: string, status: string, subjectVersion: number | null) =>
      inbound.add({
        messageId: `receipt-${n}`,
        messageType: 'Receipt',
        receivedAt: n,
        value: {
          subjectId: 'q-1',
          subjectVersion,
          subjectType: 'InformationRequest',
          status,
          inReplyTo,
          reasons: [],
        },
      });
    answer(1, 'm-1', 'rejected', null);
    answer(2, 'm-2', 'accepted', null);
    expect(inbound.refused('q-1', 'm-1'), 'its receipt said rejected').to.equal(true);
    expect(inbound.refused('q-1', 'm-2'), 'its receipt said accepted').to.equal(false);
    expect(inbound.refused('q-1', 'm-3'), 'no receipt yet').to.equal(false);
    expect(inbound.refused('q-2', 'm-1'), "another record's envelope").to.equal(false);
    // Two receipts for one envelope (a chunk judged again after a crash): the latest stands.
    answer(3, 'm-4', 'rejected', null);
    answer(4, 'm-4', 'accepted', null);
    answer(5, 'm-5', 'accepted', null);
    answer(6, 'm-5', 'rejected', null);
    expect(inbound.refused('q-1', 'm-4'), 'rejected, then accepted').to.equal(false);
    expect(inbound.refused('q-1', 'm-5'), 'accepted, then rejected').to.equal(true);
    // And the receipt answering one envelope, read alone.
    expect(inbound.receiptAnswering('q-1', 'm-2')?.messageId).to.equal('receipt-2');
    expect(inbound.receiptAnswering('q-1', 'm-3')).to.equal(undefined);
  });

  describe('when the coordinator orders a record erased', () => {
    // What only the record's content holds: found in no line of the file once the file is rewritten.
    const SECRET = 'KZ777-plate-seen-at-Dostyk';
    let n = 0;
    const receiptOf = (
      subjectId: string,
      subjectVersion: number | null,
      over: Record<string, unknown> = {},
    ): InboundItem => ({
      messageId: `receipt-${++n}`,
      messageType: 'Receipt',
      receivedAt: 1_764_000_000_000 + n,
      value: {
        subjectId,
        subjectVersion,
        subjectType: 'SeizureReport',
        status: 'accepted',
        inReplyTo: `envelope-${n}`,
        reasons: [{ code: 'flag', message: `${SECRET} (${subjectId})` }],
        ...over,
      },
    });
    const alertOf = (alertId: string, matched: { reportId: string; version: number }[]): InboundItem => ({
      messageId: alertId,
      messageType: 'CrossBorderAlert',
      receivedAt: 1_764_000_000_000 + ++n,
      value: { alertId, matched, reason: `plate ${SECRET} (${alertId})` },
    });
    const erasureOf = (subjectId: string, versionsUpTo: number, originCountry = 'KZ'): InboundItem => ({
      messageId: `erasure-${subjectId}-${versionsUpTo}`,
      messageType: 'ErasureNotice',
      receivedAt: 1_764_000_000_000 + ++n,
      value: {
        erasureId: `erasure-${subjectId}-${versionsUpTo}`,
        subjectType: 'SeizureReport',
        subjectId,
        versionsUpTo,
        originCountry,
        reasonCode: 'retention_expired',
        orderedAt: 1_764_000_000_000,
      },
    });

    /** A store that held A's receipts and alerts, B's, and an alert on another country's record, then A's erasure. */
    const erasedA = (file: string) => {
      const store = new InboundStore(file);
      const heard: [ErasureOrder, Erased][] = [];
      store.onErasure((order, erased) => heard.push([order, erased]));
      store.add(receiptOf('A', 1));
      store.add(receiptOf('B', 1));
      store.add(
        alertOf('alert-A-UZ', [
          { reportId: 'A', version: 1 },
          { reportId: 'U', version: 1 },
        ]),
      );
      store.add(receiptOf('A', null, { subjectType: 'RetentionRenewal', status: 'rejected' }));
      store.add(receiptOf('A', 2));
      store.add(
        alertOf('alert-B-UZ', [
          { reportId: 'B', version: 1 },
          { reportId: 'U', version: 1 },
        ]),
      );
      store.add(
        alertOf('alert-U-X', [
          { reportId: 'U', version: 1 },
          { reportId: 'X', version: 1 },
        ]),
      );
      const before = store.all().map((i) => i.messageId);
      expect(store.add(erasureOf('A', 2))).to.equal(true);
      return { store, heard, before: [...before, 'erasure-A-2'] };
    };

    it("no longer holds or shows its receipts (its renewals' too) nor the alerts naming it, each kept in its place without content", () => {
      const file = join(dir, 'inbound.jsonl');
      const { store, heard, before } = erasedA(file);
      expect(heard.map(([o, e]) => [o.subjectId, o.versionsUpTo, e])).to.deep.equal([
        ['A', 2, { receipts: 3, alerts: 1 }],
      ]);
      expect(store.receiptSummaries('A')).to.deep.equal([]);
      expect(store.receipts('A')).to.deep.equal([]);
      expect(store.renewalReceipts('A')).to.deep.equal([]);
      expect(store.lastReceipt('A')).to.equal(undefined);
      expect(store.erasureOf('A')).to.include({
        erasureId: 'erasure-A-2',
        versionsUpTo: 2,
        originCountry: 'KZ',
      });
      expect(store.erasureOf('B')).to.equal(undefined);
      expect(
        store.receipts('B').map((r) => r.messageId),
        "another record's",
      ).to.have.length(1);
      // Every message in its place (the webhook's cursor counts them), the erased ones as stand-ins.
      expect(store.all().map((i) => i.messageId)).to.deep.equal(before);
      expect(store.size).to.equal(before.length);
      const shown = JSON.stringify(store.all());
      expect(shown).not.to.include(`${SECRET} (A)`);
      expect(shown).not.to.include(`${SECRET} (alert-A-UZ)`);
      expect(shown, "B's receipt is as it was").to.include(`${SECRET} (B)`);
      expect(shown, "and B's alert").to.include(`${SECRET} (alert-B-UZ)`);
      expect(store.at(0)).to.deep.equal({
        messageId: before[0],
        messageType: 'Receipt',
        receivedAt: store.at(0)!.receivedAt,
        value: { erasedBy: 'erasure-A-2', subjectId: 'A' },
      });
      const alerts = store.ofType('CrossBorderAlert');
      expect(alerts.map((a) => [a.messageId, isErased(a)])).to.deep.equal([
        ['alert-A-UZ', true],
        ['alert-B-UZ', false],
        ['alert-U-X', false],
      ]);
      expect(store.erasedOfType('CrossBorderAlert')).to.equal(1);
      expect(store.erasureOrders().map((o) => o.erasureId)).to.deep.equal(['erasure-A-2']);
      // Until the next start its lines keep the content: three receipts and an alert.
      expect(store.erasedLinesInFile).to.equal(4);
      expect(readFileSync(file, 'utf8')).to.include(`${SECRET} (A)`);
    });

    it('keeps what arrives after the erasure of an erased version without its content, and what answers a later one', () => {
      const file = join(dir, 'inbound.jsonl');
      const { store } = erasedA(file);
      const late = receiptOf('A', 1);
      expect(store.add(late), 'a receipt of an erased version, arriving late').to.equal(true);
      expect(
        store.add(
          alertOf('alert-A-late', [
            { reportId: 'A', version: 2 },
            { reportId: 'U', version: 1 },
          ]),
        ),
      ).to.equal(true);
      const refused = receiptOf('A', null, {
        subjectType: 'RetentionRenewal',
        status: 'rejected',
        reasons: [],
      });
      expect(store.add(refused), 'a renewal sent too late, refused').to.equal(true);
      const third = receiptOf('A', 3, { reasons: [] });
      expect(store.add(third), 'a version sent after the erasure').to.equal(true);
      expect(store.receiptSummaries('A').map((s) => s.subjectVersion)).to.deep.equal([3]);
      expect(store.renewalReceipts('A').map((r) => r.messageId)).to.deep.equal([refused.messageId]);
      expect(
        store
          .ofType('CrossBorderAlert')
          .filter((a) => !isErased(a))
          .map((a) => a.messageId),
      ).to.deep.equal(['alert-B-UZ', 'alert-U-X']);
      // Never written with their content: the file's lines of them are stand-ins already.
      const lines = readFileSync(file, 'utf8').split('\n');
      const lineOf = (id: string) => lines.find((l) => l.includes(`"${id}"`))!;
      expect(lineOf(late.messageId)).not.to.include(SECRET);
      expect(lineOf('alert-A-late')).not.to.include(SECRET);
      expect(store.erasedLinesInFile, 'the four of before the erasure only').to.equal(4);
      expect(store.add(late), 'the same message delivered again').to.equal(false);
    });

    it('judges each message arriving once against the erasures, whether or not it falls under one', () => {
      const { store } = erasedA(join(dir, 'inbound.jsonl'));
      const judged: string[] = [];
      const probe = store as unknown as { erasureOnArrival(item: InboundItem): unknown };
      const real = probe.erasureOnArrival.bind(store);
      probe.erasureOnArrival = (item) => {
        judged.push(item.messageId);
        return real(item);
      };
      const late = receiptOf('A', 1);
      const kept = receiptOf('B', 2);
      const alert = alertOf('alert-B-2', [{ reportId: 'B', version: 2 }]);
      for (const item of [late, kept, alert]) expect(store.add(item)).to.equal(true);
      expect(judged).to.deep.equal([late.messageId, kept.messageId, alert.messageId]);
      // Judged as before: the late receipt a stand-in, the others held.
      expect(isErased(store.at(store.size - 3)!), 'a receipt of an erased version').to.equal(true);
      expect(store.receiptSummaries('B').map((r) => r.subjectVersion)).to.deep.equal([1, 2]);
      expect(isErased(store.at(store.size - 1)!)).to.equal(false);
    });

    it("rewrites its file at the next start without the erased content, keeping the orders, each message's place and the receipts read back", () => {
      const file = join(dir, 'inbound.jsonl');
      const { store } = erasedA(file);
      store.add(receiptOf('C', 1));
      const kept = store.all();
      expect(readFileSync(file, 'utf8')).to.include(`${SECRET} (A)`);

      const reopened = new InboundStore(file);
      expect(reopened.rewriteError).to.equal(undefined);
      expect(reopened.rewrittenAtStart, 'three receipts and an alert').to.equal(4);
      const text = readFileSync(file, 'utf8');
      expect(text).not.to.include(`${SECRET} (A)`);
      expect(text).not.to.include(`${SECRET} (alert-A-UZ)`);
      expect(text, 'the rest as it was').to.include(`${SECRET} (alert-B-UZ)`);
      expect(text, 'the order itself, which holds no content, is kept').to.include('"erasure-A-2"');
      expect(existsSync(`${file}.rewrite`), 'no temporary file left').to.equal(false);
      // The same messages in the same places; the receipts kept are read from where they are now.
      expect(reopened.all()).to.deep.equal(kept);
      expect(reopened.size).to.equal(kept.length);
      expect(reopened.receipts('B').map((r) => r.value.reasons)).to.deep.equal([
        [{ code: 'flag', message: `${SECRET} (B)` }],
      ]);
      expect(reopened.receipts('C')[0]!.value.reasons).to.deep.equal([
        { code: 'flag', message: `${SECRET} (C)` },
      ]);
      expect(reopened.receiptSummaries('A')).to.deep.equal([]);
      expect(reopened.erasureOf('A')?.erasureId).to.equal('erasure-A-2');
      expect(reopened.erasedOfType('CrossBorderAlert')).to.equal(1);
      // What it takes after the rewrite is written after it, and read back whole.
      reopened.add(receiptOf('D', 1));
      expect(reopened.receipts('D')[0]!.value.subjectId).to.equal('D');
      const third = new InboundStore(file);
      expect(third.rewrittenAtStart, 'nothing more to rewrite').to.equal(0);
      expect(third.all()).to.deep.equal(reopened.all());
      expect(third.receipts('D')[0]!.value.subjectId).to.equal('D');
    });

    it('applies an order read back at start to what came before it in the file', () => {
      const file = join(dir, 'inbound.jsonl');
      // As a node that stopped after taking the order, before it applied it (or before this version applied any).
      const lines = [
        receiptOf('A', 1),
        alertOf('alert-A', [{ reportId: 'A', version: 1 }]),
        receiptOf('B', 1),
        erasureOf('A', 1),
      ];
      writeFileSync(file, lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
      const store = new InboundStore(file);
      expect(store.rewrittenAtStart).to.equal(2);
      expect(store.all().map((i) => i.messageId)).to.deep.equal(lines.map((l) => l.messageId));
      expect(readFileSync(file, 'utf8')).not.to.include(`${SECRET} (A)`);
      expect(store.receipts('B')[0]!.value.reasons).to.deep.equal([
        { code: 'flag', message: `${SECRET} (B)` },
      ]);
    });

    it('removes what a rewrite it did not finish left, also when it has nothing to rewrite at this start', () => {
      const file = join(dir, 'inbound.jsonl');
      // The erasure was rewritten out before: nothing is left to rewrite now, so no rewrite replaces the leftover.
      const lines = [receiptOf('B', 1), erasureOf('A', 1)];
      writeFileSync(file, lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
      const leftover = `${JSON.stringify(receiptOf('Z', 1))}\n{"messageId":`;
      writeFileSync(`${file}.rewrite`, leftover);
      const store = new InboundStore(file);
      expect(store.rewrittenAtStart, 'no rewrite at this start').to.equal(0);
      expect(existsSync(`${file}.rewrite`), 'the leftover removed').to.equal(false);
      // Never read: what it held is not in the store.
      expect(store.all().map((i) => i.messageId)).to.deep.equal(lines.map((l) => l.messageId));
      expect(store.receiptSummaries('Z')).to.deep.equal([]);
    });

    it('looks only at the alerts naming the record an order erases, also for an alert erased with another record before', () => {
      const store = new InboundStore(join(dir, 'inbound.jsonl'));
      const heard: [string, Erased][] = [];
      store.onErasure((order, erased) => heard.push([order.subjectId, erased]));
      /** The alerts whose reports were read (their `matched`) since it was last cleared. */
      const examined = new Set<string>();
      const watched = (alert: InboundItem): InboundItem => {
        const matched: unknown = alert.value.matched;
        Object.defineProperty(alert.value, 'matched', {
          enumerable: true,
          get: () => {
            examined.add(alert.messageId);
            return matched;
          },
        });
        return alert;
      };
      for (let i = 0; i < 200; i++)
        store.add(
          watched(
            alertOf(`alert-${i}`, [
              { reportId: `R-${i}`, version: 1 },
              { reportId: 'U', version: 1 },
            ]),
          ),
        );
      store.add(
        watched(
          alertOf('alert-A-B', [
            { reportId: 'A', version: 1 },
            { reportId: 'B', version: 1 },
          ]),
        ),
      );
      store.add(watched(alertOf('alert-A-later', [{ reportId: 'A', version: 3 }])));
      examined.clear();
      store.add(erasureOf('R-7', 1));
      expect([...examined], 'the one alert naming R-7').to.deep.equal(['alert-7']);
      examined.clear();
      store.add(erasureOf('A', 2));
      expect([...examined].sort(), 'the two naming A').to.deep.equal(['alert-A-B', 'alert-A-later']);
      examined.clear();
      // The alert naming A and B is erased already: B's order takes nothing more, and reads it no more.
      store.add(erasureOf('B', 1));
      expect([...examined]).to.deep.equal([]);
      // The later version's alert stayed filed under A: an order erasing it takes it.
      store.add(erasureOf('A', 3));
      expect(heard).to.deep.equal([
        ['R-7', { receipts: 0, alerts: 1 }],
        ['A', { receipts: 0, alerts: 1 }],
        ['B', { receipts: 0, alerts: 0 }],
        ['A', { receipts: 0, alerts: 1 }],
      ]);
      const erased = store.ofType('CrossBorderAlert').filter(isErased);
      expect(erased.map((a) => a.messageId)).to.deep.equal(['alert-7', 'alert-A-B', 'alert-A-later']);
      expect(store.erasedOfType('CrossBorderAlert')).to.equal(3);
    });

    it('erases the same alerts, read back at start, as it did taking them one by one, however orders and alerts interleave', () => {
      const file = join(dir, 'inbound.jsonl');
      const live = new InboundStore(file);
      /** Every order given: the record, up to which version. */
      const orders: [string, number][] = [];
      const matchedOfAlert = new Map<string, { reportId: string; version: number }[]>();
      for (let i = 0; i < 600; i++) {
        const matched = [
          { reportId: `R-${i % 40}`, version: 1 + (i % 3) },
          { reportId: `R-${(i * 7) % 40}`, version: 1 },
          { reportId: 'U', version: 1 },
        ];
        matchedOfAlert.set(`alert-${i}`, matched);
        live.add(alertOf(`alert-${i}`, matched));
        // An order every so often: some before the alerts naming its record arrive, some after.
        if (i % 25 === 24) {
          const order: [string, number] = [`R-${(i * 3) % 40}`, 1 + (i % 2)];
          orders.push(order);
          live.add(erasureOf(...order));
        }
      }
      const expected = [...matchedOfAlert].map(([id, matched]) => [
        id,
        matched.some((m) => orders.some(([r, upTo]) => r === m.reportId && m.version <= upTo)),
      ]);
      const erasedIn = (store: InboundStore) =>
        store.ofType('CrossBorderAlert').map((a) => [a.messageId, isErased(a)]);
      expect(erasedIn(live)).to.deep.equal(expected);
      const erasedCount = expected.filter(([, e]) => e).length;
      expect(erasedCount, 'some erased, some not').to.be.within(1, 599);
      const reopened = new InboundStore(file);
      expect(erasedIn(reopened)).to.deep.equal(expected);
      expect(reopened.erasedOfType('CrossBorderAlert')).to.equal(erasedCount);
      // Read back, the alerts left are filed by the records they name: an order for one of them takes them.
      const left = expected.filter(([, e]) => !e).map(([id]) => id as string);
      const naming = (reportId: string) =>
        left.filter((id) => matchedOfAlert.get(id)!.some((m) => m.reportId === reportId));
      const target = `R-${[...Array(40).keys()].find((k) => naming(`R-${k}`).length > 0)}`;
      const heard: Erased[] = [];
      reopened.onErasure((_order, erased) => heard.push(erased));
      reopened.add(erasureOf(target, 9));
      expect(heard).to.deep.equal([{ receipts: 0, alerts: naming(target).length }]);
      for (const id of naming(target))
        expect(isErased(reopened.ofType('CrossBorderAlert').find((a) => a.messageId === id)!), id).to.equal(
          true,
        );
    });

    it("applies an order for another country's record: the alerts naming it go", () => {
      const store = new InboundStore(join(dir, 'inbound.jsonl'));
      store.add(
        alertOf('alert-KZ-UZ', [
          { reportId: 'K', version: 1 },
          { reportId: 'U', version: 1 },
        ]),
      );
      store.add(
        alertOf('alert-KZ-KG', [
          { reportId: 'K', version: 1 },
          { reportId: 'G', version: 1 },
        ]),
      );
      store.add(erasureOf('U', 1, 'UZ'));
      expect(store.ofType('CrossBorderAlert').map((a) => isErased(a))).to.deep.equal([true, false]);
      expect(store.erasureOf('U')?.originCountry).to.equal('UZ');
    });
  });
});
