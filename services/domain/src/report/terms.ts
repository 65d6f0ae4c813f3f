// Field-level normalisation used by the report readers (countries, codes, TLP, units).
import countries from 'i18n-iso-countries';
import type { FieldReader } from './fields';

const UNIT_KG: Record<string, number> = {
  kg: 1,
  g: 0.001,
  mg: 0.000001,
  t: 1000,
  ton: 1000,
  tonne: 1000,
  lb: 0.45359237,
  oz: 0.028349523125,
  // Litres at 1 kg/l, as the World Drug Report counts them.
  l: 1,
  ml: 0.001,
};

/** Lower-case kebab code: "False Floor" → "false-floor". */
export function normaliseCode(value: string): string {
  return value.trim().toLowerCase().replace(/[\s_/]+/g, '-');
}

export function normaliseCountryCode(r: FieldReader, value: string | null, field: string): string | null {
  if (value === null) return null;
  const v = value.trim();
  if (/^[A-Za-z]{2}$/.test(v) && countries.isValid(v.toUpperCase())) {
    if (v !== v.toUpperCase()) r.notes.push(`${field} '${v}' → ${v.toUpperCase()}`);
    return v.toUpperCase();
  }
  if (/^[A-Za-z]{3}$/.test(v) && countries.isValid(v.toUpperCase())) {
    const a2 = countries.alpha3ToAlpha2(v.toUpperCase()) as string;
    r.notes.push(`${field} '${v}' → ${a2}`);
    return a2;
  }
  r.error(field, 'must be an ISO 3166-1 alpha-2 country code (e.g. KZ)', value);
  return null;
}

const TLP: Record<string, 'CLEAR' | 'GREEN' | 'AMBER' | 'AMBER_STRICT' | 'RED'> = {
  CLEAR: 'CLEAR',
  WHITE: 'CLEAR',
  GREEN: 'GREEN',
  AMBER: 'AMBER',
  'AMBER+STRICT': 'AMBER_STRICT',
  AMBER_STRICT: 'AMBER_STRICT',
  RED: 'RED',
};

export function normaliseTlp(r: FieldReader, value: string | null): (typeof TLP)[string] | null {
  if (value === null) return null;
  const key = value.trim().toUpperCase().replace(/^TLP:/, '');
  const tlp = TLP[key];
  if (!tlp) r.error('handling.tlp', 'must be a TLP 2.0 level: CLEAR, GREEN, AMBER, AMBER+STRICT or RED', value);
  return tlp ?? null;
}

export function toKilograms(r: FieldReader, quantity: number, unit: string, field: string): number | null {
  const factor = UNIT_KG[unit];
  if (factor === undefined) {
    r.error(field, `unknown unit; use one of ${Object.keys(UNIT_KG).join(', ')}`, unit);
    return null;
  }
  return Math.round(quantity * factor * 1e9) / 1e9;
}

/** TLP as the rest of the hub spells it (TLP 2.0): AMBER_STRICT ↔ AMBER+STRICT. */
export function tlpLabel(avroTlp: string): string {
  return avroTlp === 'AMBER_STRICT' ? 'AMBER+STRICT' : avroTlp;
}
