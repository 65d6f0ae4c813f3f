// The node's JSON-lines files after a crash tore their last line: the torn line is passed over, and what is
// appended after the restart is read whole at the next one (it used to be glued to the torn line and lost).
import { expect } from 'chai';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InboundStore, type InboundItem } from '../src/inbox-store';
import { eachLine, readJsonLines, rewriteLines } from '../src/json-lines';
import { RequestsLog, type RequestsLogEntry } from '../src/requests-log';

describe("a node's JSON-lines files after a torn last line", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hub-json-lines-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const item = (n: number): InboundItem => ({
    messageId: `m-${n}`,
    messageType: 'Alert',
    receivedAt: n,
    value: { alertId: `a-${n}` },
  });

  it('reads every whole line, passes over the torn one, and ends it so the next append is whole', () => {
    const file = join(dir, 'sub', 'x.jsonl');
    const seen: unknown[] = [];
    readJsonLines(file, (e) => seen.push(e));
    expect(seen, 'no file yet').to.deep.equal([]);
    writeFileSync(file, '{"a":1}\n\n{"a":2}\n{"a":');
    readJsonLines(file, (e) => seen.push(e));
    expect(seen).to.deep.equal([{ a: 1 }, { a: 2 }]);
    expect(readFileSync(file, 'utf8').endsWith('{"a":\n'), 'the torn line ended').to.equal(true);
    const again: unknown[] = [];
    readJsonLines(file, (e) => again.push(e));
    expect(readFileSync(file, 'utf8').endsWith('{"a":\n'), 'ended once').to.equal(true);
    expect(again).to.deep.equal([{ a: 1 }, { a: 2 }]);
  });

  it('reads a file in blocks: lines and multi-byte characters cut between blocks, offsets, a torn end', () => {
    const file = join(dir, 'blocks.jsonl');
    const lines = ['Қазақстан → Кыргызстан', '', 'x'.repeat(50), '🙂🙂🙂 heroin 12 kg', 'é', 'last'];
    for (const torn of [false, true]) {
      const text = lines.join('\n') + (torn ? '' : '\n');
      writeFileSync(file, text);
      const bytes = Buffer.from(text);
      for (const blockBytes of [1, 2, 3, 7, 16, 1024]) {
        const seen: [string, number][] = [];
        const result = eachLine(file, (line, offset) => seen.push([line, offset]), blockBytes);
        expect(
          seen.map(([line]) => line),
          `blocks of ${blockBytes}`,
        ).to.deep.equal(lines);
        for (const [line, offset] of seen)
          expect(bytes.subarray(offset, offset + Buffer.byteLength(line)).toString(), 'its offset').to.equal(
            line,
          );
        expect(result).to.deep.equal({ size: bytes.length, ended: !torn });
      }
    }
    expect(eachLine(join(dir, 'none.jsonl'), () => expect.fail('no line'))).to.deep.equal({
      size: 0,
      ended: true,
    });
  });

  it('keeps what the coordinator sent after a restart that found a torn line', () => {
    const file = join(dir, 'inbox.jsonl');
    writeFileSync(file, `${JSON.stringify(item(1))}\n${JSON.stringify(item(2)).slice(0, 20)}`);
    const first = new InboundStore(file);
    expect(first.all().map((i) => i.messageId)).to.deep.equal(['m-1']);
    expect(first.add(item(3))).to.equal(true);
    expect(new InboundStore(file).all().map((i) => i.messageId)).to.deep.equal(['m-1', 'm-3']);
  });

  it('keeps a request sent after a restart that found a torn line', () => {
    const file = join(dir, 'requests.jsonl');
    const sent = (id: string): RequestsLogEntry =>
      ({ kind: 'sent', messageId: `m-${id}`, at: 1, request: { requestId: id } }) as RequestsLogEntry;
    writeFileSync(file, `${JSON.stringify(sent('r-1'))}\n{"kind":"sent","mess`);
    new RequestsLog(file).add(sent('r-2'));
    const log = new RequestsLog(file);
    expect(log.allSent().map((e) => e.request.requestId)).to.deep.equal(['r-1', 'r-2']);
  });

  it('rewrites a file whole with the lines given, saying where each starts, and leaves nothing beside it', () => {
    const file = join(dir, 'notes.jsonl');
    writeFileSync(file, '{"old":1}\n{"old":2}\n');
    const offsets: number[] = [];
    const size = rewriteLines(file, (line) => {
      for (const text of ['{"a":"Қазақстан"}', '{"b":2}']) offsets.push(line(text));
    });
    const text = readFileSync(file, 'utf8');
    expect(text).to.equal('{"a":"Қазақстан"}\n{"b":2}\n');
    expect(size).to.equal(Buffer.byteLength(text));
    expect(offsets).to.deep.equal([0, Buffer.byteLength('{"a":"Қазақстан"}\n')]);
    expect(readdirSync(dir)).to.deep.equal(['notes.jsonl']);
  });

  it('leaves the file as it was when a rewrite fails part-way', () => {
    const file = join(dir, 'notes.jsonl');
    writeFileSync(file, '{"old":1}\n');
    expect(() =>
      rewriteLines(file, (line) => {
        line('{"new":1}');
        throw new Error('the disk is full');
      }),
    ).to.throw('the disk is full');
    expect(readFileSync(file, 'utf8')).to.equal('{"old":1}\n');
    expect(existsSync(`${file}.rewrite`), 'its temporary file removed').to.equal(false);
  });
});
