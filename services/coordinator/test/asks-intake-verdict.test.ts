// The coordinator's asks (asks.ts) after they were sent: each is settled by the intake's verdict, read in the store.
// One quarantined is marked refused, with why, and kept as refusals are; one stored is let go after the hour its
// asker's screen reads it; one the intake has not decided on stays sent. The store is an in-memory stand-in.
import { expect } from 'chai';
import type { Signer } from '@hub/envelope';
import { topicNames } from '@hub/kafka';
import { createLogger } from '@hub/observability';
import type { SchemaRegistry } from '@hub/schemas';
import type { Store, StoredAsk, StoredQuarantine } from '@hub/store';
import { startAsks } from '../src/asks';

type Doc = Record<string, unknown> & { _id: string };

const valueOf = (v: unknown) => (v instanceof Date ? v.getTime() : v);

/** Whether `doc` matches a filter of equalities, `$or`, `$in`, `$ne`, `$lt`, `$gte` and `$exists` on its fields. */
function matches(doc: Doc, filter: Record<string, unknown>): boolean {
  return Object.entries(filter).every(([key, cond]) => {
    if (key === '$or') return (cond as Record<string, unknown>[]).some((f) => matches(doc, f));
    const v = valueOf(doc[key]);
    if (cond && typeof cond === 'object' && !(cond instanceof Date))
      return Object.entries(cond).every(([op, arg]) => {
        const a = valueOf(arg) as number;
        if (op === '$in') return (arg as unknown[]).map(valueOf).includes(v);
        if (op === '$ne') return v !== a;
        if (op === '$lt') return v !== undefined && (v as number) < a;
        if (op === '$gte') return v !== undefined && (v as number) >= a;
        if (op === '$exists') return (doc[key] !== undefined) === arg;
        throw new Error(`operator ${op} not in the stand-in`);
      });
    return v === valueOf(cond);
  });
}

/** Collections by name (documents by _id): find, findOne, updateOne ($set), deleteMany. */
function memoryStore() {
  const data = new Map<string, Map<string, Doc>>();
  const docs = (name: string) => {
    if (!data.has(name)) data.set(name, new Map());
    return data.get(name)!;
  };
  const collection = (name: string) => {
    const all = () => [...docs(name).values()];
    return {
      find: (filter: Record<string, unknown>) => {
        const list = all().filter((d) => matches(d, filter));
        return {
          toArray: async () => list,
          async *[Symbol.asyncIterator]() {
            yield* list;
          },
        };
      },
      findOne: async (filter: Record<string, unknown>) => all().find((d) => matches(d, filter)) ?? null,
      updateOne: async (filter: Record<string, unknown>, update: { $set: Record<string, unknown> }) => {
        const doc = all().find((d) => matches(d, filter));
        if (doc) Object.assign(doc, update.$set);
        return { matchedCount: doc ? 1 : 0, modifiedCount: doc ? 1 : 0 };
      },
      deleteMany: async (filter: Record<string, unknown>) => {
        const gone = all().filter((d) => matches(d, filter));
        for (const d of gone) docs(name).delete(d._id);
        return { deletedCount: gone.length };
      },
    };
  };
  const store = { engine: 'ferretdb', collection } as unknown as Store;
  return { store, docs };
}

const START = Date.UTC(2026, 2, 14, 9, 0);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

describe('coordinator asks: settled by the intake once sent', () => {
  let now: number;
  let mem: ReturnType<typeof memoryStore>;
  let asks: ReturnType<typeof startAsks>;

  beforeEach(() => {
    now = START;
    mem = memoryStore();
    asks = startAsks({
      store: mem.store,
      // Nothing is queued: nothing is signed nor sent here.
      producer: {
        send: async () => {
          throw new Error('nothing is to be sent');
        },
      },
      signer: {} as Signer,
      registry: {} as SchemaRegistry,
      names: topicNames('test'),
      regions: new Set(['central-asia']),
      hasNode: async () => true,
      clock: () => now,
      logger: createLogger('asks-test', { level: 'silent' }),
      intervalMs: 3600_000,
    });
  });
  afterEach(() => asks.stop());

  /** Ask `id`, signed and sent (as message `m-<id>`) `ago` ms before now. */
  const sent = (id: string, ago: number) =>
    mem.docs('asks').set(id, {
      _id: id,
      body: { requestId: id, to: 'UZ', urgency: 'immediate' },
      askedBy: { sub: 'coordinator-1', country: 'TJ' },
      askedAt: new Date(now - ago - HOUR),
      state: 'sent',
      messageId: `m-${id}`,
      signedAt: new Date(now - ago - HOUR),
      sentAt: new Date(now - ago),
    } satisfies StoredAsk);
  const stored = (id: string, requester = 'HUB') =>
    mem.docs('requests').set(id, { _id: id, requester, messageId: `m-${id}` });
  const quarantined = (id: string, detail: string) => {
    const entry: StoredQuarantine = {
      _id: `test.hub.node.HUB.out:0:${mem.docs('quarantine').size}`,
      originalBytes: Buffer.from('envelope'),
      topic: 'test.hub.node.HUB.out',
      partition: 0,
      offset: String(mem.docs('quarantine').size),
      reasonCode: 'invalid-content',
      detail,
      quarantinedAt: now - 5 * MINUTE,
      messageId: `m-${id}`,
      origin: 'HUB',
    };
    mem.docs('quarantine').set(entry._id, entry as unknown as Doc);
    return entry;
  };
  const ask = (id: string) => mem.docs('asks').get(id) as unknown as StoredAsk | undefined;

  it('marks a sent request the intake quarantined refused, with why, and keeps it 30 days', async () => {
    const past =
      'dueAt: 2026-03-14T08:00:00.000Z was already past when the hub received the request (2026-03-14T08:55:00.000Z)';
    sent('late', 2 * HOUR);
    const entry = quarantined('late', past);
    await asks.check();
    expect(ask('late')?.state).to.equal('refused');
    expect(ask('late')?.error?.code).to.equal('QUARANTINED');
    expect(ask('late')?.error?.message).to.contain(past);
    expect(ask('late')?.error?.message).to.contain(`quarantine entry ${entry._id}`);
    expect(ask('late')?.refusedAt?.getTime()).to.equal(now);
    // Listed with why for 30 days from its refusal, then let go.
    now += 29 * DAY;
    await asks.check();
    expect(ask('late')?.state).to.equal('refused');
    now += 2 * DAY;
    await asks.check();
    expect(ask('late')).to.equal(undefined);
  });

  it("marks refused one whose id a country's request took first", async () => {
    sent('race', 10 * MINUTE);
    stored('race', 'KZ');
    quarantined('race', 'requestId: race is already used by another request (message m-kz)');
    await asks.check();
    expect(ask('race')?.state).to.equal('refused');
    expect(ask('race')?.error?.message).to.contain('is already used by another request');
  });

  it('keeps a sent request the intake has not decided on past the hour; lets go one stored an hour ago', async () => {
    sent('undecided', 2 * HOUR);
    sent('stored-long-ago', 2 * HOUR);
    stored('stored-long-ago');
    sent('stored-just-now', 10 * MINUTE);
    stored('stored-just-now');
    await asks.check();
    expect(ask('undecided')?.state).to.equal('sent');
    expect(ask('stored-long-ago')).to.equal(undefined);
    // Its asker's screen may still read it (GET /v1/requests/asked/:id finds the request either way).
    expect(ask('stored-just-now')?.state).to.equal('sent');
    // Quarantined later (an intake far behind): refused then.
    now += 3 * HOUR;
    quarantined('undecided', 'purpose: is required');
    await asks.check();
    expect(ask('undecided')?.state).to.equal('refused');
    expect(ask('stored-just-now')).to.equal(undefined);
  });

  it('lets go a sent request the intake never decided on only 30 days after it was sent', async () => {
    sent('never', HOUR);
    now += 28 * DAY;
    await asks.check();
    expect(ask('never')?.state).to.equal('sent');
    now += 2 * DAY;
    await asks.check();
    expect(ask('never')).to.equal(undefined);
  });
});
