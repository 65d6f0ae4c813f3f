// Statistics from annual returns (source=annual). Each return's cells are classified when it is stored; here they
// are combined so that a "(total ...)" row and its parts are never both counted, coca leaf and bush are never
// cocaine, and a drug a country did not report stays absent (not zero).
import { loadDrugGroups } from '@hub/domain';
import type { AnnualCell, StoredAnnualReturn } from '@hub/store';

export interface StatItem {
  country: string;
  year: number;
  month: number | null;
  drug: string;
  drugGroup: string;
  kg: number;
  count: number;
}

export interface AnnualQuery {
  drug?: string;
  drugGroup?: string;
  /** Group by drug: every cell keeps its own key (the annex's cells exactly). */
  byDrug: boolean;
  aggregates: ReadonlySet<string>;
}

const sum = (cells: AnnualCell[]) => cells.reduce((s, c) => s + c.kg, 0);

/** The value of a World Drug Report aggregate in one return: its total rows if reported, else its parts. */
function aggregateValue(cells: AnnualCell[], aggregate: string): { kg: number; count: number } | undefined {
  const totals = cells.filter((c) => c.totalOf === aggregate);
  if (totals.length) return { kg: sum(totals), count: totals.length };
  const parts = cells.filter((c) => c.aggregates.includes(aggregate));
  return parts.length ? { kg: sum(parts), count: parts.length } : undefined;
}

/** A drug group's value in one return: its total row (if any) plus the rows outside that total. */
function groupValue(cells: AnnualCell[], group: string): { kg: number; count: number } | undefined {
  const mine = cells.filter((c) => c.drugGroup === group);
  if (mine.length === 0) return undefined;
  const aggregate = loadDrugGroups().get(group)?.aggregate;
  const totals = aggregate ? mine.filter((c) => c.totalOf === aggregate) : [];
  const counted = totals.length
    ? [...totals, ...mine.filter((c) => c.totalOf === null && !c.aggregates.includes(aggregate as string))]
    : mine.filter((c) => c.totalOf === null);
  return { kg: sum(counted), count: counted.length };
}

export function annualItems(doc: StoredAnnualReturn, q: AnnualQuery): StatItem[] {
  const base = { country: doc.country, year: doc.year, month: null };
  const cells = q.drugGroup ? doc.cells.filter((c) => c.drugGroup === q.drugGroup) : doc.cells;
  if (q.drug && q.aggregates.has(q.drug)) {
    const v = aggregateValue(cells, q.drug);
    const group = loadDrugGroups().terms.find((g) => g.aggregate === q.drug)?.code ?? 'mixed';
    return v ? [{ ...base, drug: q.drug, drugGroup: group, kg: v.kg, count: v.count }] : [];
  }
  if (q.drug) {
    return cells
      .filter((c) => c.drug === q.drug || c.substance === q.drug)
      .map((c) => ({ ...base, drug: c.drug, drugGroup: c.drugGroup, kg: c.kg, count: c.rows }));
  }
  if (q.byDrug)
    return cells.map((c) => ({ ...base, drug: c.drug, drugGroup: c.drugGroup, kg: c.kg, count: c.rows }));
  const groups = [...new Set(cells.map((c) => c.drugGroup))];
  return groups.flatMap((g) => {
    const v = groupValue(cells, g);
    return v ? [{ ...base, drug: '*', drugGroup: g, kg: v.kg, count: v.count }] : [];
  });
}
