// Field-level normalisation used by the report readers (countries, codes, TLP, units).
import type { FieldError } from '@hub/errors';
import { RELEASABLE_ENTRY_MAX, RELEASABLE_MAX, TEXT_MAX } from '@hub/schemas';
import { resolveCountry, suggestCountries } from '../vocab/countries';
import type { Vocabulary } from '../vocab/vocabulary';
import { jsonKind, type FieldReader } from './fields';

/**
 * A country's ISO 3166-1 alpha-2 code for a code or name, or an error naming the nearest. `alternative`: what else the
 * field takes, for the refusal to name (releasable-to takes region ids too).
 */
export function normaliseCountryCode(
  r: FieldReader,
  value: string | null,
  field: string,
  alternative = '',
): string | null {
  if (value === null) return null;
  const code = resolveCountry(value);
  if (!code) {
    const suggestions = suggestCountries(value, 5, r.suggestions);
    r.error(
      field,
      `unknown country; use an ISO 3166-1 alpha-2 code (e.g. KZ)${alternative}${suggestions.length ? `; did you mean ${suggestions.join(', ')}?` : ''}`,
      value,
    );
    if (suggestions.length) (r.errors[r.errors.length - 1] as FieldError).suggestions = suggestions;
    return null;
  }
  if (code !== value) r.notes.push(`${field} '${value}' → ${code}`);
  return code;
}

/** A vocabulary field: the code for any label or alias, or an error naming the nearest valid codes. */
export function resolveTermField(
  r: FieldReader,
  vocab: Vocabulary,
  value: string | null,
  field: string,
): string | null {
  if (value === null) return null;
  const code = vocab.resolve(value);
  if (!code) {
    const suggestions = vocab.suggest(value, 5, r.suggestions);
    r.error(
      field,
      `unknown ${vocab.name} term${suggestions.length ? `; did you mean ${suggestions.join(', ')}?` : `; see schemas/vocab/${vocab.name}.json`}`,
      value,
    );
    if (suggestions.length) (r.errors[r.errors.length - 1] as FieldError).suggestions = suggestions;
    return null;
  }
  if (code !== value) r.notes.push(`${field} '${value}' → ${code}`);
  return code;
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
  if (!tlp)
    r.error('handling.tlp', 'must be a TLP 2.0 level: CLEAR, GREEN, AMBER, AMBER+STRICT or RED', value);
  return tlp ?? null;
}

/** TLP as the rest of the hub spells it (TLP 2.0): AMBER_STRICT ↔ AMBER+STRICT. */
export function tlpLabel(avroTlp: string): string {
  return avroTlp === 'AMBER_STRICT' ? 'AMBER+STRICT' : avroTlp;
}

const EVALUATION = /^[A-EX][1-4]$/;

/** The region ids of `regions` as the refusal of an unknown releasable-to entry lists them (the first few). */
function regionChoices(regions: ReadonlySet<string>): string {
  if (regions.size === 0) return '';
  const ids = [...regions].sort();
  return ` or a region id (${ids.slice(0, 5).join(', ')}${ids.length > 5 ? ', ...' : ''})`;
}

export interface HandlingRecord {
  tlp: 'CLEAR' | 'GREEN' | 'AMBER' | 'AMBER_STRICT' | 'RED';
  releasableTo: string[];
  evaluation: string | null;
}

/** `handling` of any record: TLP (required), releasable-to countries or region ids, the 4x4 evaluation. */
export function readHandling(
  r: FieldReader,
  obj: Record<string, unknown>,
  regions: ReadonlySet<string>,
): HandlingRecord {
  const h = r.object(obj, 'handling', 'handling', true) ?? {};
  const tlp = normaliseTlp(r, r.string(h, 'tlp', 'handling.tlp', { required: true }));
  const releasableTo = (
    Array.isArray(h.releasableTo) ? h.releasableTo : h.releasableTo === undefined ? [] : null
  ) as unknown[] | null;
  if (releasableTo === null)
    r.error('handling.releasableTo', 'must be a list of ISO country codes or region ids');
  // Each unknown name is compared with every country's names for a suggestion: the list and its entries are bounded
  // before that, so that one request cannot hold the node for seconds.
  const tooMany = (releasableTo?.length ?? 0) > RELEASABLE_MAX;
  if (tooMany)
    r.error(
      'handling.releasableTo',
      `must list at most ${RELEASABLE_MAX} countries or regions (got ${releasableTo!.length})`,
    );
  // Region ids in any letter case ("Central-Asia"), kept as the vocabulary spells them.
  const regionIds = new Map([...regions].map((id) => [id.toLowerCase(), id]));
  const alsoRegions = regionChoices(regions);
  const releasable = (tooMany ? [] : (releasableTo ?? [])).map((x, i) => {
    const field = `handling.releasableTo[${i}]`;
    if (typeof x !== 'string') {
      r.error(
        field,
        `must be a string: an ISO country code, a country name or a region id (got ${jsonKind(x)})`,
        x,
      );
      return '';
    }
    const region = regions.has(x) ? x : regionIds.get(x.trim().toLowerCase());
    if (region) {
      if (region !== x) r.notes.push(`${field} '${x}' → ${region}`);
      return region;
    }
    if (x.length > RELEASABLE_ENTRY_MAX) {
      r.error(
        field,
        `must be an ISO country code, a country name or a region id (at most ${RELEASABLE_ENTRY_MAX} characters, got ${x.length})`,
        x,
      );
      return '';
    }
    return normaliseCountryCode(r, x, field, alsoRegions) ?? '';
  });
  const given = r.string(h, 'evaluation', 'handling.evaluation', {
    max: TEXT_MAX.SeizureReport['handling.evaluation'],
  });
  // The 4x4 code in capitals (the OpenAPI pattern takes "b2" too): "b2" and "B2" are one grading.
  const evaluation = given?.toUpperCase() ?? null;
  if (given && evaluation !== given) r.notes.push(`handling.evaluation '${given}' → ${evaluation}`);
  if (evaluation && !EVALUATION.test(evaluation))
    r.error(
      'handling.evaluation',
      'must be a 4x4 code: source A-E or X, then information 1-4 (e.g. B2)',
      evaluation,
    );
  return { tlp: tlp ?? 'RED', releasableTo: releasable, evaluation };
}
