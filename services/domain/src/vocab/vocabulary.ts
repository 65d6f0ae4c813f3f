// One controlled vocabulary: codes with labels in several languages and aliases, looked up in O(1).
import { latinKey, memoisedNearest, textKey, type SuggestionBudget } from './text';

export interface Term {
  code: string;
  labels: Record<string, string>;
  aliases?: string[];
  [extra: string]: unknown;
}

export interface Vocabulary<T extends Term = Term> {
  name: string;
  terms: T[];
  get(code: string): T | undefined;
  /** The code for a code, label (any language) or alias, or undefined. */
  resolve(input: string): string | undefined;
  /**
   * Up to `n` codes nearest to `input`, nearest first; remembered per input. A computation spends one of `budget`,
   * and none is made (an empty list) once it is spent.
   */
  suggest(input: string, n?: number, budget?: SuggestionBudget): string[];
  label(code: string, lang: string): string;
}

export function createVocabulary<T extends Term>(name: string, terms: T[]): Vocabulary<T> {
  const byCode = new Map(terms.map((t) => [t.code, t]));
  const index = new Map<string, string>();
  const keys: { key: string; code: string }[] = [];
  const add = (text: string, code: string) => {
    for (const k of [textKey(text), latinKey(text)]) {
      if (!k) continue;
      if (!index.has(k)) index.set(k, code);
      keys.push({ key: k, code });
    }
  };
  for (const t of terms) {
    add(t.code, t.code);
    Object.values(t.labels).forEach((l) => add(l, t.code));
    (t.aliases ?? []).forEach((a) => add(a, t.code));
    ((t.wdrNames as string[] | undefined) ?? []).forEach((w) => add(w, t.code));
  }
  const suggest = memoisedNearest(keys, 0.5);
  return {
    name,
    terms,
    get: (code) => byCode.get(code),
    resolve(input) {
      return index.get(textKey(input)) ?? index.get(latinKey(input));
    },
    suggest: (input, n = 5, budget) => suggest(input, n, budget),
    label(code, lang) {
      const t = byCode.get(code);
      return t ? (t.labels[lang] ?? t.labels.en ?? code) : code;
    },
  };
}
