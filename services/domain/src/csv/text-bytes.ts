// The bytes of a body or a file as text, strictly. A CSV (the HTTP import when no other charset is declared, the inbox
// folder) is UTF-8 (a byte-order mark allowed), or UTF-16 when it starts with one of its byte-order marks (Excel's
// "Unicode text"); JSON is UTF-8. Anything else is refused at its first byte that cannot be read, never decoded with
// replacement characters: a windows-1251 file read as UTF-8 turns every Cyrillic letter into U+FFFD, and the reports
// would be signed so. The node (its HTTP route and inbox folder) and `hub import` read files with this one decoder;
// `hub import --encoding windows-1251` reads a file in the encoding a person names, as strictly.
import { HubError } from '@hub/errors';

export type TextEncodingName = 'UTF-8' | 'UTF-16LE' | 'UTF-16BE';

/** Where a file stops being text of its encoding. */
export interface Undecodable {
  /** A TextEncodingName, or the encoding a person named (windows-1251). */
  encoding: string;
  /** 1-based line of the file (as the CSV reader counts them) holding the first byte that cannot be read. */
  line: number;
  /** That byte's offset from the start of the file, from 0. */
  offset: number;
  /** The bytes from there (up to 4), in hex: "0xD5 0xEE 0xF0 0xE3". */
  bytes: string;
  /** What is wrong there, in words: "the bytes there (0xD5 0xEE 0xF0 0xE3) are not UTF-8". */
  problem: string;
}

const BOMS: { encoding: TextEncodingName; bom: number[]; label: string }[] = [
  { encoding: 'UTF-8', bom: [0xef, 0xbb, 0xbf], label: 'utf-8' },
  { encoding: 'UTF-16LE', bom: [0xff, 0xfe], label: 'utf-16le' },
  { encoding: 'UTF-16BE', bom: [0xfe, 0xff], label: 'utf-16be' },
];

/** The text of a CSV file's bytes, or where and why they cannot be read. */
export function decodeCsvBytes(bytes: Uint8Array): { text: string } | { undecodable: Undecodable } {
  const found = BOMS.find(({ bom }) => bom.every((b, i) => bytes[i] === b));
  const { encoding, label, bom } = found ?? { encoding: 'UTF-8' as const, label: 'utf-8', bom: [] };
  const utf16 = encoding !== 'UTF-8';
  // ignoreBOM: the mark is skipped here, so that offsets count from the file's start in every case.
  const body = bytes.subarray(bom.length);
  let text: string;
  try {
    text = new TextDecoder(label, { fatal: true, ignoreBOM: true }).decode(body);
  } catch {
    const at = bom.length + (utf16 ? firstBadUtf16(body, encoding === 'UTF-16BE') : firstBadUtf8(body));
    return {
      undecodable: where(bytes, at, encoding, (shown) => `the bytes there (${shown}) are not ${encoding}`),
    };
  }
  // A NUL is in no CSV; a file of them every other byte is UTF-16 sent without its byte-order mark.
  const nul = text.indexOf('\u0000');
  if (nul >= 0) {
    const at = utf16 ? bom.length + 2 * nul : bytes.indexOf(0);
    const problem = utf16
      ? () => 'a NUL character, which no CSV holds'
      : () =>
          'a NUL byte, which no CSV holds (a file with one every other byte is UTF-16 without its byte-order mark)';
    return { undecodable: where(bytes, at, encoding, problem) };
  }
  return { text };
}

/**
 * The name the WHATWG Encoding standard gives the encoding a person named (`cp1251` → `windows-1251`), or undefined
 * when it knows no such encoding.
 */
export function encodingNamed(label: string): string | undefined {
  try {
    return new TextDecoder(label.trim()).encoding;
  } catch {
    // RangeError: a label the standard does not know, or one it maps to no decoder ("replacement").
    return undefined;
  }
}

/**
 * The text of a CSV file's bytes in the encoding a person named (`hub import --encoding windows-1251`), or where
 * they stop being text of it: the first byte of the character its decoder could not read. UTF-8 is read as
 * decodeCsvBytes reads it; any other encoding's byte-order mark is skipped.
 */
export function decodeCsvBytesAs(
  bytes: Uint8Array,
  label: string,
): { text: string } | { undecodable: Undecodable } {
  const encoding = encodingNamed(label);
  if (!encoding)
    throw new HubError('ENCODING_UNKNOWN', `no encoding is named ${JSON.stringify(label)}`, {
      details: { field: 'encoding', value: label, rule: 'a label of the WHATWG Encoding standard' },
    });
  if (encoding === 'utf-8') return decodeCsvBytes(bytes);
  // The decoders of other encodings say only that the bytes fail, not where: the place is found by decoding ever
  // shorter starts of the file (a few dozen decodings, on the refusal path only).
  /** The first `n` bytes decoded as the start of a longer file (a character cut at the end is no fault yet). */
  const prefix = (n: number) =>
    new TextDecoder(encoding, { fatal: true }).decode(bytes.subarray(0, n), { stream: true });
  const fails = (n: number) => {
    try {
      prefix(n);
      return false;
    } catch {
      return true;
    }
  };
  /**
   * Where the character after the first `chars` begins: the fewest bytes that decode to that many, looked for among
   * the `window` bytes before `upTo` (no character of any encoding takes more than 4).
   */
  const startOf = (chars: number, upTo: number, window = upTo) =>
    least(Math.max(0, upTo - window), upTo, (k) => prefix(k).length >= chars);
  let text: string;
  try {
    text = new TextDecoder(encoding, { fatal: true }).decode(bytes);
  } catch {
    // The fewest bytes that fail; none does when the file ends in the middle of a character.
    const n = least(1, bytes.length + 1, fails);
    const read = n > bytes.length ? bytes.length : n - 1;
    const at = startOf(prefix(read).length, read, 8);
    const problem =
      n > bytes.length
        ? () => `the file ends in the middle of a ${encoding} character`
        : (shown: string) => `the bytes there (${shown}) are not ${encoding}`;
    return { undecodable: where(bytes, at, encoding, problem) };
  }
  const nul = text.indexOf('\u0000');
  if (nul >= 0) {
    const at = startOf(nul, bytes.length);
    return { undecodable: where(bytes, at, encoding, () => 'a NUL character, which no CSV holds') };
  }
  return { text };
}

/** The least n in lo..hi for which `holds`, which then holds for every n after it too (hi: none before it). */
function least(lo: number, hi: number, holds: (n: number) => boolean): number {
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (holds(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** The refusal of an undecodable file in words: where, what, and `advice` on what to send instead. */
export function undecodableMessage(u: Undecodable, advice: string): string {
  return `cannot be read as ${u.encoding}: line ${u.line}, byte offset ${u.offset}: ${u.problem}; ${advice}`;
}

/** Where `offset` is in a file of `encoding`: its line (as the CSV reader counts them) and the bytes there. */
export function where(
  bytes: Uint8Array,
  offset: number,
  encoding: string,
  problem: (shown: string) => string,
): Undecodable {
  const label = encoding.toLowerCase();
  // Lines as the CSV reader counts them: CRLF, LF or a lone CR ends one.
  const before = new TextDecoder(label).decode(bytes.subarray(0, offset));
  const line = 1 + (before.match(/\r\n|\r|\n/g)?.length ?? 0);
  const shown = [...bytes.subarray(offset, offset + 4)]
    .map((b) => `0x${b.toString(16).toUpperCase().padStart(2, '0')}`)
    .join(' ');
  return { encoding, line, offset, bytes: shown, problem: problem(shown) };
}

/** Offset of the first byte of the first sequence that is not well-formed UTF-8 (Unicode table 3-7), or length. */
export function firstBadUtf8(b: Uint8Array): number {
  let i = 0;
  const cont = (j: number, lo = 0x80, hi = 0xbf) => j < b.length && b[j]! >= lo && b[j]! <= hi;
  while (i < b.length) {
    const c = b[i]!;
    let n: number;
    if (c < 0x80) n = 1;
    else if (c >= 0xc2 && c <= 0xdf) n = cont(i + 1) ? 2 : 0;
    else if (c >= 0xe0 && c <= 0xef) {
      const [lo, hi] = c === 0xe0 ? [0xa0, 0xbf] : c === 0xed ? [0x80, 0x9f] : [0x80, 0xbf];
      n = cont(i + 1, lo, hi) && cont(i + 2) ? 3 : 0;
    } else if (c >= 0xf0 && c <= 0xf4) {
      const [lo, hi] = c === 0xf0 ? [0x90, 0xbf] : c === 0xf4 ? [0x80, 0x8f] : [0x80, 0xbf];
      n = cont(i + 1, lo, hi) && cont(i + 2) && cont(i + 3) ? 4 : 0;
    } else n = 0;
    if (n === 0) return i;
    i += n;
  }
  return i;
}

/** Offset of the first code unit of UTF-16 that is an unpaired surrogate or cut short, or length. */
function firstBadUtf16(b: Uint8Array, bigEndian: boolean): number {
  const unit = (i: number) => (bigEndian ? (b[i]! << 8) | b[i + 1]! : b[i]! | (b[i + 1]! << 8));
  let i = 0;
  while (i + 1 < b.length) {
    const u = unit(i);
    if (u >= 0xdc00 && u <= 0xdfff) return i;
    if (u >= 0xd800 && u <= 0xdbff) {
      if (i + 3 >= b.length) return i;
      const low = unit(i + 2);
      if (low < 0xdc00 || low > 0xdfff) return i;
      i += 4;
    } else i += 2;
  }
  return i;
}
