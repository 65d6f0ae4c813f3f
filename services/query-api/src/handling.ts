// Who may see a record: the one rule every endpoint applies (docs/query-api.md, "Handling").
import type { Filter, Document } from 'mongodb';
import type { Tlp } from '@hub/store';
import type { Caller } from './auth';

const RANK: Record<Tlp, number> = { CLEAR: 0, GREEN: 1, AMBER: 2, 'AMBER+STRICT': 3, RED: 4 };

export interface Handled {
  originCountry: string;
  tlp: Tlp;
  /** Countries named directly or through regions. */
  releasableCountries: string[];
  /** As the originator wrote it (AMBER+STRICT needs the country itself named here). */
  releasableTo?: string[];
}

/**
 * The originator always sees its own records. Otherwise the TLP level must be within the caller's clearance, and:
 * CLEAR and GREEN are visible to every member of the hub; AMBER to the countries in releasable-to (directly or
 * through a region); AMBER+STRICT only to countries named by their own code; RED to nobody but the originator.
 */
export function mayRead(caller: Pick<Caller, 'country' | 'clearance'>, record: Handled): boolean {
  if (caller.country === record.originCountry) return true;
  if (RANK[record.tlp] > RANK[caller.clearance]) return false;
  switch (record.tlp) {
    case 'CLEAR':
    case 'GREEN':
      return true;
    case 'AMBER':
      return record.releasableCountries.includes(caller.country);
    case 'AMBER+STRICT':
      return (record.releasableTo ?? []).includes(caller.country);
    case 'RED':
      return false;
  }
}

/** The same rule as a MongoDB filter over documents whose handling sits at `prefix` (e.g. 'handling.'). */
export function readableFilter(
  caller: Pick<Caller, 'country' | 'clearance'>,
  prefix = 'handling.',
  originField = 'originCountry',
): Filter<Document> {
  const within = (t: Tlp) => RANK[t] <= RANK[caller.clearance];
  const open = (['CLEAR', 'GREEN'] as Tlp[]).filter(within);
  const or: Filter<Document>[] = [{ [originField]: caller.country }];
  if (open.length) or.push({ [`${prefix}tlp`]: { $in: open } });
  if (within('AMBER'))
    or.push({ [`${prefix}tlp`]: 'AMBER', [`${prefix}releasableCountries`]: caller.country });
  if (within('AMBER+STRICT') && prefix === 'handling.')
    or.push({ [`${prefix}tlp`]: 'AMBER+STRICT', [`${prefix}releasableTo`]: caller.country });
  return { $or: or };
}
