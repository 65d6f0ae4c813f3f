// The node's JSON-lines files (what the coordinator sent, the requests log, the normalisations of each version): read
// line by line at start, appended to as things happen.
import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, readSync } from 'node:fs';
import { dirname } from 'node:path';

const BLOCK_BYTES = 4 << 20;

/**
 * Each line of `file` (without its line break) and the byte offset it starts at, read in blocks: a file of any size.
 * (Read whole, as one string, a file stopped the node at start once it grew past what V8 holds in one string,
 * 512 MiB: about 1.4 million receipts.) `ended`: the file is empty or ends with a line break (else its last line
 * was torn by a crash). A missing file has no lines.
 */
export function eachLine(
  file: string,
  each: (line: string, offset: number) => void,
  blockBytes = BLOCK_BYTES,
): { size: number; ended: boolean } {
  if (!existsSync(file)) return { size: 0, ended: true };
  const fd = openSync(file, 'r');
  try {
    const block = Buffer.allocUnsafe(blockBytes);
    let carry = Buffer.alloc(0);
    let carryAt = 0;
    let size = 0;
    for (
      let n = readSync(fd, block, 0, blockBytes, size);
      n > 0;
      n = readSync(fd, block, 0, blockBytes, size)
    ) {
      size += n;
      const data = carry.length ? Buffer.concat([carry, block.subarray(0, n)]) : block.subarray(0, n);
      // A line break (0x0a) is never part of a UTF-8 sequence: a line cut between blocks is decoded once whole.
      let start = 0;
      for (let nl = data.indexOf(10); nl !== -1; nl = data.indexOf(10, start)) {
        each(data.toString('utf8', start, nl), carryAt + start);
        start = nl + 1;
      }
      carry = Buffer.from(data.subarray(start));
      carryAt += start;
    }
    if (carry.length) each(carry.toString('utf8'), carryAt);
    return { size, ended: carry.length === 0 };
  } finally {
    closeSync(fd);
  }
}

/**
 * Each entry of the JSON-lines `file`, in order (none when it does not exist yet; its folder is made then). A line
 * that does not parse is passed over: the last one, torn by a crash while it was written, was never acknowledged.
 * Such a line is ended here, so that the next append starts a line of its own instead of being lost with it.
 * `each` is also given where the entry's line is (byte offset and length); returns the file's length after.
 */
export function readJsonLines<T>(
  file: string,
  each: (entry: T, line: { offset: number; length: number }) => void,
): number {
  mkdirSync(dirname(file), { recursive: true });
  const { size, ended } = eachLine(file, (line, offset) => {
    if (!line.trim()) return;
    let entry: T;
    try {
      entry = JSON.parse(line) as T;
    } catch {
      return;
    }
    each(entry, { offset, length: Buffer.byteLength(line) });
  });
  if (ended) return size;
  appendFileSync(file, '\n');
  return size + 1;
}
