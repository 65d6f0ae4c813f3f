// Conveyance identifiers normalised for matching: the same plate written with Cyrillic look-alike letters,
// spaces or dashes gives the same key.

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

export function normaliseIdentifier(kind: string, value: string): string {
  const upper = value.normalize('NFKC').toUpperCase();
  const latin = [...upper].map((ch) => LOOK_ALIKES[ch] ?? ch).join('');
  const compact = latin.replace(/[\s\-_./]+/g, '');
  return `${kind}:${compact}`;
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
