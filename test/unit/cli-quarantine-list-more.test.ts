// Unit tier: `hub quarantine list` gives at most MAX_LISTED entries: when more match, it says so on stderr (how many
// at least, how to narrow them, where to go on from) and exits 1, rather than stopping quietly as if it listed them all.
import { expect } from 'chai';
import { topicNames } from '@hub/kafka';
import { COLLECTIONS, type CollectionName, type Store } from '@hub/store';
import { printList } from '../../scripts/src/cli/commands/quarantine';
import {
  listed,
  MAX_LISTED,
  selectQuarantined,
  type RedriveResult,
} from '../../services/coordinator/src/redrive';
import { memoryStore, project, type MemoryStore } from '../../services/coordinator/test/memory-store';

const names = topicNames('');
const T0 = Date.UTC(2026, 11, 1);

/** `count` quarantine entries of KZ's topic, refused as unknown-signer, one a second from T0. */
function quarantined(count: number): MemoryStore {
  const mem = memoryStore();
  const docs = mem.docs(COLLECTIONS.quarantine);
  for (let i = 0; i < count; i++) {
    const _id = `${names.nodeOut('KZ')}:0:${i}`;
    docs.set(_id, {
      _id,
      originalBytes: Buffer.from('x'),
      topic: names.nodeOut('KZ'),
      partition: 0,
      offset: String(i),
      reasonCode: 'unknown-signer',
      detail: 'no certificate',
      quarantinedAt: T0 + i * 1000,
      messageId: null,
      origin: 'KZ',
    });
  }
  return mem;
}

/**
 * The memory store with the cursor steps a list takes on the real one (limit, project), which the memory store's
 * cursor does not have: applied to what it finds, sorted.
 */
function withListCursor(mem: MemoryStore): Store {
  const collection = (name: CollectionName) => {
    const inner = mem.store.collection(name) as unknown as {
      find: (
        filter: object,
        options?: object,
      ) => { sort: (by: object) => unknown; toArray: () => Promise<object[]> };
    };
    return {
      ...inner,
      find(filter: object, options?: object) {
        const cursor = inner.find(filter, options);
        let limit = Infinity;
        let projection: Record<string, unknown> | undefined;
        const steps = {
          sort(by: object) {
            cursor.sort(by);
            return steps;
          },
          limit(n: number) {
            limit = n;
            return steps;
          },
          project(p: Record<string, unknown>) {
            projection = p;
            return steps;
          },
          toArray: async () =>
            (await cursor.toArray())
              .slice(0, limit)
              .map((d) => project(d as Parameters<typeof project>[0], projection)),
        };
        return steps;
      },
    };
  };
  return { ...mem.store, collection } as unknown as Store;
}

/** The entries a list found, as redriveQuarantined gives them (without their bytes). */
async function found(count: number): Promise<RedriveResult[]> {
  const entries = await selectQuarantined(withListCursor(quarantined(count)), names, { listOnly: true });
  return entries.map(({ originalBytes: _bytes, ...entry }) => ({ entry }));
}

describe('hub quarantine list: more entries than it gives', function () {
  this.timeout(30000);

  it('reads one more than it lists, and lists every entry when no more match', async () => {
    const all = await found(MAX_LISTED);
    expect(all).to.have.length(MAX_LISTED);
    expect(all[0]!.entry).to.not.have.property('originalBytes');
    expect(listed(all).more).to.equal(undefined);
    const lines: string[] = [];
    const said: string[] = [];
    expect(
      printList(
        all.slice(0, 3),
        (t) => lines.push(t),
        (l) => said.push(l),
      ),
    ).to.equal(0);
    expect(lines).to.have.length(3);
    expect(said).to.deep.equal([]);
  });

  it('says on stderr that more match, how many at least and how to narrow them, and comes to 1', async () => {
    const many = await found(MAX_LISTED + 500);
    expect(many, 'read: one more than it lists').to.have.length(MAX_LISTED + 1);
    const lines: string[] = [];
    const said: string[] = [];
    const status = printList(
      many,
      (t) => lines.push(t),
      (l) => said.push(l),
    );
    expect(status).to.equal(1);
    expect(lines).to.have.length(MAX_LISTED);
    expect(JSON.parse(lines[0]!)).to.include({ id: `${names.nodeOut('KZ')}:0:0`, reason: 'unknown-signer' });
    const last = new Date(T0 + (MAX_LISTED - 1) * 1000).toISOString();
    expect(said).to.deep.equal([
      `more than ${MAX_LISTED} entries match (at least ${MAX_LISTED + 1}): only the oldest ${MAX_LISTED} were listed; narrow them with --reason, --country or --since (the next ones: --since ${last}, which lists from the last one given on)`,
    ]);
  });
});
