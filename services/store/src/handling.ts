// Who may see a record: the one rule every service applies (the query API's endpoints, the coordinator's
// regional feeds). The shared DESIGN.md, "Trust".
import type { Tlp } from './documents';

export const TLP_RANK: Record<Tlp, number> = { CLEAR: 0, GREEN: 1, AMBER: 2, 'AMBER+STRICT': 3, RED: 4 };

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
export function mayRead(caller: { country: string; clearance: Tlp }, record: Handled): boolean {
  if (caller.country === record.originCountry) return true;
  if (TLP_RANK[record.tlp] > TLP_RANK[caller.clearance]) return false;
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
