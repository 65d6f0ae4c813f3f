// The node's JSON-lines files (what the coordinator sent, the requests log, the normalisations of each version): read
// line by line at start, appended to as things happen, and rewritten whole when something in them must be forgotten
// (a record erased at retention review).
import {
  appendFileSync,
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
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

/** The temporary file a rewrite of `file` is written to before it takes the file's place. */
const rewriteOf = (file: string) => `${file}.rewrite`;

/**
 * Removes what a rewrite of `file` left when the node stopped during it (the file itself is whole: the old one). Run
 * before the file is read at start: a rewrite half written holds no more than the file does, but need not stay.
 */
export function discardUnfinishedRewrite(file: string): void {
  rmSync(rewriteOf(file), { force: true });
}

/**
 * Replaces `file` with the lines `write` gives (each without its line break; `line` returns the byte offset the line
 * starts at in the new file). Written to a temporary file beside it, flushed, renamed over it, and the folder flushed:
 * a crash at any point leaves either the old file or the new one, whole. On a failure the old file stays as it was and
 * the error is thrown. Returns the new file's length.
 */
export function rewriteLines(file: string, write: (line: (text: string) => number) => void): number {
  const temporary = rewriteOf(file);
  const fd = openSync(temporary, 'w');
  let size = 0;
  try {
    // Gathered into blocks: one write per line cost a system call each (a million receipts).
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = () => {
      const block = Buffer.concat(pending, pendingBytes);
      for (let written = 0; written < block.length;) written += writeSync(fd, block, written);
      pending = [];
      pendingBytes = 0;
    };
    write((text) => {
      const at = size;
      const bytes = Buffer.from(`${text}\n`, 'utf8');
      pending.push(bytes);
      pendingBytes += bytes.length;
      size += bytes.length;
      if (pendingBytes >= BLOCK_BYTES) flush();
      return at;
    });
    flush();
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(temporary, { force: true });
    throw err;
  }
  closeSync(fd);
  try {
    renameSync(temporary, file);
  } catch (err) {
    rmSync(temporary, { force: true });
    throw err;
  }
  // The rename itself is durable once the folder is: until then a crash may show either file, each whole.
  const folder = openSync(dirname(file), 'r');
  try {
    fsyncSync(folder);
  } finally {
    closeSync(folder);
  }
  return size;
}
