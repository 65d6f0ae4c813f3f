// The local stack's record, run/stack.json: replaced whole at each write (a full disk or a kill mid-write leaves the
// old record, never an empty one), and one that cannot be read is said to be so, not taken for "no local stack":
// the servers it names may run. Servers are external here (HUB_KAFKA_BROKERS, HUB_MONGO_URL) with fake probes.
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type LocalStackInfo } from '@hub/config';
import { stackDown, stackStatus, stackUp, type StackProbes } from '../../scripts/src/stack/stack';
import { hubErrorOf } from '../support/env';

const answering: StackProbes = {
  kafka: async () => ({ ok: true, brokers: 1 }),
  mongo: async () => ({ ok: true, version: '7.0.0' }),
  mongodVersion: () => undefined,
};
const quiet = () => undefined;

describe('local stack: its record, run/stack.json', () => {
  let home: string;
  let file: string;
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'hub-record-file-'));
    mkdirSync(join(home, 'run'));
    file = join(home, 'run', 'stack.json');
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  const external = () =>
    loadConfig({ HUB_HOME: home, HUB_KAFKA_BROKERS: '127.0.0.1:1', HUB_MONGO_URL: 'mongodb://127.0.0.1:2/' });
  const recorded: LocalStackInfo = {
    kafka: { brokers: ['127.0.0.1:3'], version: '4.1.0' },
    mongo: { url: 'mongodb://127.0.0.1:4/', version: '2.5.0', kind: 'ferretdb' },
  };

  it('is replaced by a new file renamed over it, never rewritten in place', async () => {
    writeFileSync(file, JSON.stringify(recorded));
    const before = statSync(file).ino;
    await stackUp(external(), quiet, {}, answering);
    expect(statSync(file).ino, 'a new file').not.to.equal(before);
    expect(JSON.parse(readFileSync(file, 'utf8'))).to.deep.equal(recorded);
    expect(readdirSync(join(home, 'run'))).to.deep.equal(['stack.json']);
  });

  for (const [what, content, why] of [
    ['empty', '', 'it is empty'],
    ['cut short', '{\n  "kafka": {\n    "brokers": [', 'not valid JSON'],
    ['of another shape', '{"kafka": {}, "mongo": {}}', 'it lacks kafka.brokers or mongo.url'],
  ] as const) {
    it(`is said to be unreadable when ${what}, by stack down, stack up and stack status`, async () => {
      writeFileSync(file, content);
      for (const err of [
        await hubErrorOf(stackDown(loadConfig({ HUB_HOME: home }), quiet)),
        await hubErrorOf(stackUp(external(), quiet, {}, answering)),
        await hubErrorOf(stackStatus(external(), answering)),
      ]) {
        expect(err.code).to.equal('STACK_RECORD_UNREADABLE');
        expect(err.message).to.contain(`${file}, the record of the local stack, cannot be read (${why})`);
        expect(err.message).to.contain("'hub.stack=kafka'");
        expect(err.message).to.contain(`'--state-dir=${join(home, 'stack', 'ferretdb')}'`);
      }
      expect(readFileSync(file, 'utf8'), 'left for the user to look at').to.equal(content);
    });
  }

  it('is nothing to stop when there is none', async () => {
    const lines: string[] = [];
    await stackDown(loadConfig({ HUB_HOME: home }), (l) => lines.push(l));
    expect(lines).to.deep.equal(['No local stack recorded; nothing to stop.']);
  });
});
