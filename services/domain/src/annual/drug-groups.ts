// The World Drug Report's drug groups and aggregates, and how annex rows are keyed (schemas/vocab/drug-groups.json).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadVocabularies, VOCAB_DIR } from '../vocab/index';
import { createVocabulary, type Term, type Vocabulary } from '../vocab/vocabulary';
import { textKey } from '../vocab/text';

export interface DrugGroupTerm extends Term {
  wdrName: string;
  /** The World Drug Report aggregate the group's rows make up, if any. */
  aggregate: string | null;
  /** Substances of the group that are outside its aggregate (coca leaf and bush are not cocaine). */
  excludes: string[];
}

let groups: Vocabulary<DrugGroupTerm> | undefined;

export function loadDrugGroups(): Vocabulary<DrugGroupTerm> {
  if (!groups) {
    const terms = (
      JSON.parse(readFileSync(join(VOCAB_DIR, 'drug-groups.json'), 'utf8')) as { terms: DrugGroupTerm[] }
    ).terms.map((t) => ({ ...t, aliases: [...(t.aliases ?? []), t.wdrName] }));
    groups = createVocabulary('drug-groups', terms);
  }
  return groups;
}

/** Every aggregate code the World Drug Report uses (cocaine, opiates, ats, ...). */
export function drugAggregates(): Set<string> {
  const out = new Set<string>();
  for (const s of loadVocabularies().substances.terms) for (const a of s.aggregates) out.add(a);
  for (const g of loadDrugGroups().terms) if (g.aggregate) out.add(g.aggregate);
  return out;
}

/** The group code of a substance code (for read models of individual seizures). */
export function groupOfSubstance(substance: string): string | null {
  const s = loadVocabularies().substances.get(substance);
  return s ? (loadDrugGroups().resolve(s.group) ?? null) : null;
}

/**
 * The aggregates a row or drug line counts in. A known substance counts in its own aggregates only, whatever group the
 * row was filed under: they hold its own group's aggregate unless that group excludes it (a test holds the vocabulary
 * to that), and an annual return of an older annex files some substances under another group than today's (ecstasy
 * under ATS, GBL under the substances not under international control), whose total would then count them twice.
 * A row of no known substance counts in its group's aggregate.
 */
export function aggregatesOf(substance: string | null, group: string | null): string[] {
  const known = substance ? loadVocabularies().substances.get(substance) : undefined;
  if (known) return [...known.aggregates].sort();
  const g = group ? loadDrugGroups().get(group) : undefined;
  return g?.aggregate && !(substance && g.excludes.includes(substance)) ? [g.aggregate] : [];
}

/**
 * The substance codes a `drug` filter of the query API stands for: the substance itself, or every substance an
 * aggregate counts in (cocaine: the cocaine forms, not coca leaf or bush); null when the code is neither.
 */
export function substancesOfDrug(drug: string): string[] | null {
  const substances = loadVocabularies().substances;
  if (substances.get(drug)) return [drug];
  if (!drugAggregates().has(drug)) return null;
  return substances.terms
    .map((t) => t.code)
    .filter((code) => aggregatesOf(code, groupOfSubstance(code)).includes(drug))
    .sort();
}

/** Every aggregate with its labels and the substances it counts, for a drug filter to offer (every one is labelled). */
export function drugAggregateTerms(): {
  code: string;
  labels: Record<string, string>;
  substances: string[];
}[] {
  const labels = (
    JSON.parse(readFileSync(join(VOCAB_DIR, 'drug-groups.json'), 'utf8')) as {
      aggregateLabels: Record<string, Record<string, string>>;
    }
  ).aggregateLabels;
  return [...drugAggregates()].sort().map((code) => {
    const l = labels[code];
    if (!l?.en || !l.ru)
      throw new Error(`schemas/vocab/drug-groups.json: aggregate ${code} has no en and ru label`);
    return { code, labels: l, substances: substancesOfDrug(code) ?? [] };
  });
}

/** Substance codes and aggregates close to an unknown `drug` filter, for the refusal's "did you mean". */
export function drugSuggestions(drug: string): string[] {
  const aggregates = [...drugAggregates()].filter((a) => a.startsWith(drug.slice(0, 3)));
  return [...new Set([...loadVocabularies().substances.suggest(drug), ...aggregates])].slice(0, 5);
}

/** A "(total of the above ...)" or "Total ..." row of the annex, which stands beside its parts. */
export function isTotalRowName(drugName: string): boolean {
  return /^\s*total\b/i.test(drugName) || /\(\s*total of the above/i.test(drugName);
}

/** A short, stable code for a drug name of the annex that is not the primary name of a taxonomy substance. */
export function drugNameSlug(drugName: string): string {
  const slug = textKey(drugName)
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (slug.length <= 56) return slug || 'unnamed';
  const hash = createHash('sha256').update(slug).digest('hex').slice(0, 6);
  return `${slug.slice(0, 49).replace(/-+$/, '')}-${hash}`;
}

/**
 * The drug key of an annual row: the taxonomy code when the name is the substance's primary annex name, the
 * aggregate's `-total` key for total rows, otherwise a slug of the name (so every annex cell keeps its identity).
 */
export function annualDrugKey(
  drugName: string,
  group: string | null,
): { key: string; substance: string | null } {
  const v = loadVocabularies();
  if (isTotalRowName(drugName)) {
    const g = group ? loadDrugGroups().get(group) : undefined;
    return { key: `${g?.aggregate ?? group ?? 'drugs'}-total`, substance: null };
  }
  const substance = v.substances.resolve(drugName) ?? null;
  const term = substance ? v.substances.get(substance) : undefined;
  const primary = term?.wdrNames[0];
  if (
    substance &&
    (!primary || textKey(primary) === textKey(drugName) || textKey(term.code) === textKey(drugName))
  )
    return { key: substance, substance };
  return { key: drugNameSlug(drugName), substance };
}
