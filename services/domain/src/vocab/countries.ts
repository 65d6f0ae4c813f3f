// ISO 3166-1 countries: alpha-2, alpha-3 and names in English, Russian and the region's languages.
import countries from 'i18n-iso-countries';
import { createRequire } from 'node:module';
import { latinKey, memoisedNearest, textKey, type SuggestionBudget } from './text';

const require = createRequire(import.meta.url);
const LANGS = ['en', 'ru', 'kk', 'ky', 'tg', 'uz', 'tk'] as const;
for (const lang of LANGS) {
  try {
    countries.registerLocale(require(`i18n-iso-countries/langs/${lang}.json`));
  } catch {
    // a language the package does not ship
  }
}

/** UN and UNODC spellings that differ from ISO's names. */
const EXTRA: Record<string, string> = {
  'iran islamic republic of': 'IR',
  turkiye: 'TR',
  'republic of moldova': 'MD',
  'bolivia plurinational state of': 'BO',
  'venezuela bolivarian republic of': 'VE',
  'china hong kong sar': 'HK',
  'china macao sar': 'MO',
  'kosovo under unscr 1244': 'XK',
  kosovo: 'XK',
  'united states of america': 'US',
  'united kingdom': 'GB',
  'russian federation': 'RU',
  russia: 'RU',
  'republic of korea': 'KR',
  'democratic peoples republic of korea': 'KP',
  'lao peoples democratic republic': 'LA',
  'syrian arab republic': 'SY',
  'united republic of tanzania': 'TZ',
  'north macedonia': 'MK',
  'cote divoire': 'CI',
  kyrgyzstan: 'KG',
  kirgizia: 'KG',
  'state of palestine': 'PS',
};

const index = new Map<string, string>();
const names: { key: string; code: string }[] = [];
for (const code of Object.keys(countries.getAlpha2Codes())) {
  for (const lang of LANGS) {
    const all = countries.getName(code, lang, { select: 'all' }) ?? [];
    for (const n of all) {
      for (const k of [textKey(n), latinKey(n)]) {
        if (!index.has(k)) index.set(k, code);
        names.push({ key: k, code });
      }
    }
  }
}
for (const [k, code] of Object.entries(EXTRA)) index.set(k, code);

/** ISO alpha-2 for a code (alpha-2 or alpha-3) or a name in any supported language; undefined when unknown. */
export function resolveCountry(input: string): string | undefined {
  const v = input.trim();
  if (/^[A-Za-z]{2}$/.test(v))
    return countries.isValid(v.toUpperCase()) || v.toUpperCase() === 'XK' ? v.toUpperCase() : undefined;
  if (/^[A-Za-z]{3}$/.test(v) && countries.isValid(v.toUpperCase()))
    return countries.alpha3ToAlpha2(v.toUpperCase());
  return index.get(textKey(v)) ?? index.get(latinKey(v));
}

const suggest = memoisedNearest(names, 0.4);

/** Up to `n` countries whose names are nearest to `input`; remembered, and spending `budget` as Vocabulary.suggest. */
export function suggestCountries(input: string, n = 5, budget?: SuggestionBudget): string[] {
  return suggest(input, n, budget);
}

export function countryName(code: string, lang = 'en'): string {
  return countries.getName(code, lang) ?? countries.getName(code, 'en') ?? code;
}
