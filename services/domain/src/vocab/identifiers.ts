// Conveyance identifiers and links normalised for matching: the same plate written with Cyrillic look-alike letters,
// spaces or dashes gives the same key; a value with no letter or digit gives none.

const LOOK_ALIKES: Record<string, string> = {
  А: 'A',
  В: 'B',
  Е: 'E',
  К: 'K',
  М: 'M',
  Н: 'H',
  О: 'O',
  Р: 'P',
  С: 'C',
  Т: 'T',
  У: 'Y',
  Х: 'X',
  І: 'I',
  Ј: 'J',
  Ѕ: 'S',
};

/** A letter or a digit, in any script: a value without one ("-", "/", "?") names nothing. */
const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;

/** IMO ship numbers are seven digits, often written after "IMO" (or the Russian "ИМО"), "No." or "№". */
const IMO_NUMBER = /^(?:IMO|ИMO)(?:NO)?[:#]?(\d{7})$/;

/** The compact form of an identifier: the separators every kind is written with, and those of its own kind, gone. */
function compactOf(kind: string, value: string): string {
  const upper = value.normalize('NFKC').toUpperCase();
  const latin = [...upper].map((ch) => LOOK_ALIKES[ch] ?? ch).join('');
  const compact = latin.replace(/[\s\-_./]+/g, '');
  switch (kind) {
    case 'phone':
      // "+7 (701) 123-45-67" is "+77011234567": brackets group digits. A leading "+" stays (a number without it may
      // be written as dialled at home), and so do letters ("ext"), so that different numbers never meet.
      return compact.replace(/[()]+/g, '');
    case 'vessel-imo':
      return IMO_NUMBER.exec(compact)?.[1] ?? compact;
    default:
      return compact;
  }
}

/**
 * The text an identifier is matched by (`kind:compact`), the same for the ways one identifier is written (case,
 * spacing, dashes, Cyrillic look-alikes, a phone's brackets, an IMO number's prefix); null when it has no letter or
 * digit, since a placeholder for "unknown" ("-", "/") would otherwise match every other one.
 */
export function normaliseIdentifier(kind: string, value: string): string | null {
  const compact = compactOf(kind, value);
  return LETTER_OR_DIGIT.test(compact) ? `${kind}:${compact}` : null;
}

/**
 * The text a link to another report or case is matched by (`kind|REF`): the kind in lower case ("Case" is "case"),
 * the reference trimmed in upper case; null when the reference has no letter or digit.
 */
export function normaliseLink(kind: string, ref: string): string | null {
  const text = ref.normalize('NFKC').trim().toUpperCase();
  if (!LETTER_OR_DIGIT.test(text)) return null;
  return `${kind.normalize('NFKC').trim().toLowerCase()}|${text}`;
}

const ISO6346 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'.split('');

/** ISO 6346 container number with a valid check digit, e.g. CSQU3054383. */
export function isValidContainerNumber(value: string): boolean {
  const v = value.replace(/\s+/g, '').toUpperCase();
  if (!/^[A-Z]{3}[UJZ]\d{7}$/.test(v)) return false;
  // Letter values skip multiples of 11: A=10, B=12, ..., K=21, L=23 ...
  const letterValue = (ch: string) => {
    let n = 10;
    for (const l of ISO6346) {
      if (n % 11 === 0) n++;
      if (l === ch) return n;
      n++;
    }
    return 0;
  };
  let sum = 0;
  for (let i = 0; i < 10; i++) {
    const ch = v[i] as string;
    sum += (i < 4 ? letterValue(ch) : Number(ch)) * 2 ** i;
  }
  return (sum % 11) % 10 === Number(v[10]);
}
