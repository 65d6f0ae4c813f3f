// Text keys for matching vocabulary terms: case, spacing, punctuation and script do not matter.

const CYRILLIC_TO_LATIN: Record<string, string> = {
  а: 'a',
  б: 'b',
  в: 'v',
  г: 'g',
  д: 'd',
  е: 'e',
  ё: 'e',
  ж: 'zh',
  з: 'z',
  и: 'i',
  й: 'y',
  к: 'k',
  л: 'l',
  м: 'm',
  н: 'n',
  о: 'o',
  п: 'p',
  р: 'r',
  с: 's',
  т: 't',
  у: 'u',
  ф: 'f',
  х: 'kh',
  ц: 'ts',
  ч: 'ch',
  ш: 'sh',
  щ: 'shch',
  ъ: '',
  ы: 'y',
  ь: '',
  э: 'e',
  ю: 'yu',
  я: 'ya',
  і: 'i',
  ї: 'yi',
  є: 'ye',
  ғ: 'g',
  қ: 'k',
  ң: 'n',
  ө: 'o',
  ұ: 'u',
  ү: 'u',
  һ: 'h',
  ә: 'a',
  ҳ: 'h',
  ҷ: 'j',
  ӣ: 'i',
  ӯ: 'u',
};

/** Lower-case, unify quotes and dashes, drop punctuation, collapse spaces. */
export function textKey(input: string): string {
  return input
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[“”«»"'‘’`]/g, '')
    .replace(/[\s_\-–—/.,;:()[\]]+/g, ' ')
    .trim();
}

/** The same key with Cyrillic letters written in Latin, so "героин" and "geroin" meet. */
export function latinKey(input: string): string {
  return [...textKey(input)].map((ch) => CYRILLIC_TO_LATIN[ch] ?? ch).join('');
}

let distances = 0;

/** How many distances this process has computed: what suggestions cost, for tests and diagnostics. */
export function distancesComputed(): number {
  return distances;
}

/** Levenshtein distance, for suggesting the nearest valid terms. */
export function distance(a: string, b: string): number {
  distances += 1;
  if (a === b) return 0;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(
        (prev[j] as number) + 1,
        (cur[j - 1] as number) + 1,
        (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    prev = cur;
  }
  return prev[b.length] as number;
}

/**
 * The codes of the `n` keys nearest to `input` (Levenshtein distance over the longer length, at most `within`),
 * nearest first. A key whose length alone puts it beyond `within` is not compared (the distance is at least the
 * difference of the lengths), so a long unknown value costs a pass over the keys, not a distance to each.
 */
export function nearest(
  input: string,
  keys: readonly { key: string; code: string }[],
  within: number,
  n: number,
): string[] {
  const k = latinKey(input);
  const best = new Map<string, number>();
  for (const { key, code } of keys) {
    const longer = Math.max(k.length, key.length, 1);
    if (Math.abs(k.length - key.length) / longer > within) continue;
    const d = distance(k, key) / longer;
    if (d < (best.get(code) ?? Infinity)) best.set(code, d);
  }
  return [...best.entries()]
    .filter(([, d]) => d <= within)
    .sort((a, b) => a[1] - b[1])
    .slice(0, n)
    .map(([code]) => code);
}

/**
 * How many unknown values of one request may have suggestions computed for them (each is a pass over a whole
 * vocabulary, a millisecond or two). Past that a value is still refused, only without a "did you mean".
 */
export class SuggestionBudget {
  private used = 0;
  constructor(readonly max = 20) {}

  /** Whether one more computation may be spent (and spends it). */
  take(): boolean {
    if (this.used >= this.max) return false;
    this.used += 1;
    return true;
  }
}

/** Suggestions remembered per vocabulary: a misspelling repeated on every row of a file costs one computation. */
const MEMO_SIZE = 1000;

/**
 * `nearest` over `keys`, remembered for the last MEMO_SIZE inputs; a computation (not a remembered answer) spends one
 * of `budget`, and none is made when it is spent.
 */
export function memoisedNearest(
  keys: readonly { key: string; code: string }[],
  within: number,
): (input: string, n: number, budget?: SuggestionBudget) => string[] {
  const memo = new Map<string, string[]>();
  return (input, n, budget) => {
    const key = `${n}\n${latinKey(input)}`;
    const known = memo.get(key);
    if (known) {
      // Most recently used last, so that the oldest is the one dropped.
      memo.delete(key);
      memo.set(key, known);
      return [...known];
    }
    if (budget && !budget.take()) return [];
    const found = nearest(input, keys, within, n);
    if (memo.size >= MEMO_SIZE) memo.delete(memo.keys().next().value as string);
    memo.set(key, found);
    return [...found];
  };
}
