// The coordinator's asks (asks.ts) settled once sent, on a store that applies projections as the real one does: a
// refused ask and one the intake never decided on are settled and logged with who asked them, and a settling that
// fails keeps neither the queued asks nor the next passes waiting. The store in memory (memory-store.ts).
import { expect } from 'chai';
import type { Signer } from '@hub/envelope';
import { topicNames } from '@hub/kafka';
import type { Logger } from '@hub/observability';
import type { SchemaRegistry } from '@hub/schemas';
import {
  COLLECTIONS,
  type CollectionName,
  type Store,
  type StoredAsk,
  type StoredQuarantine,
} from '@hub/store';
import { startAsks } from '../src/asks';
import { memoryStore, type MemoryStore } from './memory-store';

const START = Date.UTC(2026, 2, 14, 9, 0);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

interface Logged {
  level: 'info' | 'warn' | 'error';
  fields: Record<string, unknown>;
  message: string;
}

describe('coordinator asks: settling sent asks on a store that applies projections', () => {
  let now: number;
  let mem: MemoryStore;
  let logged: Logged[];
  /** Collections whose finds fail, as a store timing out does. */
  let failing: Set<CollectionName>;
  let asks: ReturnType<typeof startAsks>;

  /** The store in memory with a name (the asks lock's key) and finds of `failing` collections failing. */
  const storeOf = (m: MemoryStore): Store =>
    ({
      ...m.store,
      db: { databaseName: 'memory-asks' },
      collection: (name: CollectionName) => {
        const coll = m.store.collection(name);
        return new Proxy(coll, {
          get: (target, prop, receiver) =>
            prop === 'find' && failing.has(name)
              ? () => ({ toArray: () => Promise.reject(new Error('store: operation timed out')) })
              : (Reflect.get(target, prop, receiver) as unknown),
        });
      },
    }) as unknown as Store;

  const logger = {
    info: (fields: Record<string, unknown>, message: string) =>
      logged.push({ level: 'info', fields, message }),
    warn: (fields: Record<string, unknown>, message: string) =>
      logged.push({ level: 'warn', fields, message }),
    error: (fields: Record<string, unknown>, message: string) =>
      logged.push({ level: 'error', fields, message }),
    debug: () => undefined,
  } as unknown as Logger;

  beforeEach(() => {
    now = START;
    mem = memoryStore();
    logged = [];
    failing = new Set();
    asks = startAsks({
      store: storeOf(mem),
      // Nothing here is signed nor sent: a queued ask is refused before it is.
      producer: {
        send: async () => {
          throw new Error('nothing is to be sent');
        },
      },
      signer: {} as Signer,
      registry: {} as SchemaRegistry,
      names: topicNames('test'),
      regions: new Set(['central-asia']),
      hasNode: async () => false,
      clock: () => now,
      logger,
      intervalMs: 3600_000,
    });
  });
  afterEach(() => asks.stop());

  /** Ask `id`, signed and sent (as message `m-<id>`) `ago` ms before now, by coordinator-1 of TJ. */
  const sent = (id: string, ago: number) =>
    mem.docs(COLLECTIONS.asks).set(id, {
      _id: id,
      body: { requestId: id, to: 'UZ', urgency: 'immediate' },
      askedBy: { sub: 'coordinator-1', country: 'TJ' },
      askedAt: new Date(now - ago - HOUR),
      state: 'sent',
      messageId: `m-${id}`,
      signedAt: new Date(now - ago - HOUR),
      sentAt: new Date(now - ago),
    } satisfies StoredAsk);
  const quarantined = (id: string, detail: string) => {
    const entry: StoredQuarantine = {
      _id: `test.hub.node.HUB.out:0:${id}`,
      originalBytes: Buffer.from('envelope'),
      topic: 'test.hub.node.HUB.out',
      partition: 0,
      offset: '0',
      reasonCode: 'invalid-content',
      detail,
      quarantinedAt: now - 5 * MINUTE,
      messageId: `m-${id}`,
      origin: 'HUB',
    };
    mem.docs(COLLECTIONS.quarantine).set(entry._id, entry as never);
  };
  const ask = (id: string) => mem.docs(COLLECTIONS.asks).get(id) as unknown as StoredAsk | undefined;
  const warnings = (message: string) =>
    logged.filter((l) => l.level === 'warn' && l.message === message).map((l) => l.fields);

  it('marks a quarantined ask refused and logs who asked it, the pass going on', async () => {
    sent('late', 2 * HOUR);
    quarantined('late', 'dueAt: was already past when the hub received the request');
    await asks.check();
    expect(ask('late')?.state).to.equal('refused');
    expect(warnings('information request refused by the intake')).to.deep.equal([
      {
        requestId: 'late',
        messageId: 'm-late',
        askedBy: 'coordinator-1',
        quarantineId: 'test.hub.node.HUB.out:0:late',
      },
    ]);
  });

  it('lets go an ask the intake never decided on 30 days after it was sent, logging it once', async () => {
    sent('never', HOUR);
    now += 31 * DAY;
    await asks.check();
    expect(ask('never')).to.equal(undefined);
    expect(warnings('information request sent 30 days ago and never decided on by the intake')).to.deep.equal(
      [{ requestId: 'never', messageId: 'm-never', askedBy: 'coordinator-1' }],
    );
    now += 2 * MINUTE;
    await asks.check();
    expect(
      warnings('information request sent 30 days ago and never decided on by the intake'),
    ).to.have.length(1);
  });

  it('handles the queued asks when settling fails, and tries settling again a minute later', async () => {
    sent('late', 2 * HOUR);
    quarantined('late', 'purpose: is required');
    // Queued to a country with no national node: refused when the pass reaches it.
    const queued = '5f0c6a8e-3c1b-4d2a-9e7f-1a2b3c4d5e6f';
    mem.docs(COLLECTIONS.asks).set(queued, {
      _id: queued,
      body: {
        requestId: queued,
        to: 'UZ',
        purpose: 'investigation',
        question: 'Seen before?',
        handling: { tlp: 'GREEN' },
      },
      askedBy: { sub: 'coordinator-1', country: 'TJ' },
      askedAt: new Date(now - MINUTE),
      state: 'queued',
    } satisfies StoredAsk);
    failing.add(COLLECTIONS.requests);
    await asks.check();
    expect(ask(queued)?.state, 'the queued ask, handled').to.equal('refused');
    expect(ask(queued)?.error?.code).to.equal('NOT_FOUND');
    expect(ask('late')?.state, 'not settled yet').to.equal('sent');
    expect(
      warnings('sent information requests not settled by the intake this time; tried again in a minute'),
    ).to.deep.equal([{ err: 'store: operation timed out' }]);
    // Not again at every pass: a minute later, once the store answers.
    failing.clear();
    now += 30_000;
    await asks.check();
    expect(ask('late')?.state).to.equal('sent');
    now += 31_000;
    await asks.check();
    expect(ask('late')?.state).to.equal('refused');
  });
});
