// Who may see a record: the one rule every endpoint applies (the shared DESIGN.md, "Trust": a record is read as
// its handling says, TLP and releasable-to).
import type { Filter, Document } from 'mongodb';
import { TLP_RANK as RANK, type Tlp } from '@hub/store';
export { mayRead, type Handled } from '@hub/store';
import type { Caller } from './auth';

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
