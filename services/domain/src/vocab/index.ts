// The hub's reference vocabularies (schemas/vocab/*.json), loaded once, with lookups and suggestions.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AVRO_DIR } from '@hub/schemas';
import { createVocabulary, type Term, type Vocabulary } from './vocabulary';

export * from './text';
export * from './vocabulary';
export * from './countries';
export * from './identifiers';

export interface SubstanceTerm extends Term {
  group: string;
  wdrNames: string[];
  control: { convention: string | null; schedule: string | null };
  aggregates: string[];
  tabletMassMg?: number;
}

export interface UnitTerm extends Term {
  toKg?: number;
  perUnit?: string;
}

export interface Vocabularies {
  substances: Vocabulary<SubstanceTerm>;
  units: Vocabulary<UnitTerm>;
  transportModes: Vocabulary;
  locationTypes: Vocabulary;
  concealment: Vocabulary;
  detection: Vocabulary;
  drugForms: Vocabulary;
  identifierKinds: Vocabulary;
  agencyTypes: Vocabulary;
}

export const VOCAB_DIR = join(AVRO_DIR, '..', 'vocab');

function read<T>(dir: string, file: string, key: string): T[] {
  return (JSON.parse(readFileSync(join(dir, file), 'utf8')) as Record<string, T[]>)[key] ?? [];
}

let cached: Vocabularies | undefined;

/** Load every vocabulary once (indexes are built here, not per lookup). */
export function loadVocabularies(dir = VOCAB_DIR): Vocabularies {
  if (cached && dir === VOCAB_DIR) return cached;
  const v: Vocabularies = {
    substances: createVocabulary('substances', read<SubstanceTerm>(dir, 'substances.json', 'substances')),
    units: createVocabulary('units', read<UnitTerm>(dir, 'units.json', 'terms')),
    transportModes: createVocabulary('transport-modes', read<Term>(dir, 'transport-modes.json', 'terms')),
    locationTypes: createVocabulary('location-types', read<Term>(dir, 'location-types.json', 'terms')),
    concealment: createVocabulary(
      'concealment-methods',
      read<Term>(dir, 'concealment-methods.json', 'terms'),
    ),
    detection: createVocabulary('detection-methods', read<Term>(dir, 'detection-methods.json', 'terms')),
    drugForms: createVocabulary('drug-forms', read<Term>(dir, 'drug-forms.json', 'terms')),
    identifierKinds: createVocabulary('identifier-kinds', read<Term>(dir, 'identifier-kinds.json', 'terms')),
    agencyTypes: createVocabulary('agency-types', read<Term>(dir, 'agency-types.json', 'terms')),
  };
  if (dir === VOCAB_DIR) cached = v;
  return v;
}

/**
 * Kilograms to the microgram (nine decimals), as every quantity and sum the hub stores or shows is rounded: without
 * floating-point noise (100 g + 200 g is 0.3 kg, not 0.30000000000000004), and the same wherever it is summed.
 */
export const roundKg = (kg: number): number => Math.round(kg * 1e9) / 1e9;

/**
 * Whether a unit of the vocabulary weighs what it counts: a mass, a volume (1 kg a litre), or tablets and doses (by
 * their unit mass). Plants do not: toKg gives null, and their quantity is bounded as a count.
 */
export function unitHasMass(v: Vocabularies, unitCode: string): boolean {
  const unit = v.units.get(unitCode);
  return (
    unit !== undefined && (unit.toKg !== undefined || unit.perUnit === 'tablet' || unit.perUnit === 'dose')
  );
}

/** Kilograms for a quantity in a unit of the vocabulary; tablets and doses by the substance's unit mass. */
export function toKg(
  v: Vocabularies,
  quantity: number,
  unitCode: string,
  substanceCode?: string,
): number | null {
  const unit = v.units.get(unitCode);
  if (!unit) return null;
  if (unit.toKg !== undefined) return roundKg(quantity * unit.toKg);
  if (unit.perUnit === 'tablet') {
    const mg = (substanceCode ? v.substances.get(substanceCode)?.tabletMassMg : undefined) ?? 100;
    return roundKg(quantity * mg * 1e-6);
  }
  if (unit.perUnit === 'dose') return roundKg(quantity * 0.1e-6);
  return null;
}
