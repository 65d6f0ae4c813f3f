// GET /v1/audit: the audit log a page at a time for auditors and admins, and what of each entry a caller's
// clearance lets it see (the log names every read, also a country's reads of its own RED records).
import { Router } from 'express';
import { TLP_RANK } from '@hub/store';
import { AUDIT_ACTIONS, type AuditEntry, type AuditLog, type AuditQuery } from './audit';
import { requireRole, type Caller } from './auth';
import { ROLES } from './issuer';
import { parseParams } from './params';
import { actorOf } from './routes-seizures';

/** GET /v1/audit: a page of the log, newest first, by who read (subject, country, role), what and when. */
const AUDIT_PARAMS = {
  before: { kind: 'int', min: 1 },
  limit: { kind: 'int', min: 1, max: 1000 },
  sub: { kind: 'text' },
  country: { kind: 'country' },
  role: { kind: 'enum', values: ROLES },
  action: { kind: 'enum', values: AUDIT_ACTIONS },
  from: { kind: 'date' },
  to: { kind: 'date' },
  verify: { kind: 'enum', values: ['true', 'false'] },
} as const;

/** What was read, in an entry of another country's caller: the records, their countries, the query and its count. */
export const READ_FIELDS = ['query', 'count', 'reportIds', 'reportOrigins', 'origins', 'cutOrigins'] as const;
/** The entry's links in the chain. */
export const CHAIN_FIELDS = ['prevHash', 'hash'] as const;

/**
 * What an entry of its own country's callers keeps, to a caller cleared below RED, of the records read: those of its
 * own country only (their ids, and that country among the origins); the rest is withheld.
 */
export const OWN_COUNTRY_FIELDS = ['reportIds', 'reportOrigins', 'origins', 'cutOrigins'] as const;

/** Why fields of an entry are null or cut: told once a page, with each entry naming the fields it does not show whole. */
export const WITHHELD_RULE =
  "withheld by clearance: a caller cleared below RED sees of another country's entries who did what and when, not " +
  "what was read (query, count, reportIds, reportOrigins, origins, cutOrigins); of its own country's entries what " +
  'was asked and how many were read, but of the records read only those of its own country (reportIds, ' +
  "reportOrigins, origins and cutOrigins keep no other; the query is null when it names another country's record " +
  'read), since those of other countries may be above its clearance; and no prevHash or hash at all (each hash ' +
  'covers every entry before it, so it would let what is withheld be guessed and tried against it); whether the ' +
  'chain holds (valid, intact) is checked by the API over the whole entries, the same for every caller';

type Withheld = (typeof READ_FIELDS)[number] | (typeof CHAIN_FIELDS)[number];

/**
 * An entry as a caller is shown it: whole, or with the fields it may not see present and null (or, in its own
 * country's entries, holding only its own country's records).
 */
export type AuditEntryView =
  | AuditEntry
  | (Omit<AuditEntry, Withheld> & { [K in Withheld]: AuditEntry[K] | null } & {
      withheld: { by: 'clearance'; fields: Withheld[] };
    });

/**
 * `entry` as `caller` may see it. Cleared for RED, whole: it may read every record an entry can name. Below RED: an
 * entry of another country's callers keeps only who did what and when (its records may be RED, its query and count
 * tell of them); one of its own country's callers keeps what was asked and how many were read, but of the records read
 * only those of its own country: another country's record read by them (an AMBER one released to them) may be above
 * the auditor's clearance. And no entry keeps its hashes, since a hash is taken over the entry and, through prevHash,
 * over every entry before it: with it, a guess at a withheld query and count (a search, a look-up of an id, a
 * stream's region: few to try) could be checked.
 */
export function auditEntryFor(
  caller: Pick<Caller, 'country' | 'clearance'>,
  entry: AuditEntry,
): AuditEntryView {
  if (TLP_RANK[caller.clearance] >= TLP_RANK.RED) return entry;
  if (entry.actor?.country === caller.country) return ownCountryEntry(caller.country, entry);
  const fields: Withheld[] = [...READ_FIELDS, ...CHAIN_FIELDS];
  // Present and null, each of them: whether an entry had reportOrigins or cutOrigins (more than 1,000 records) tells
  // of what was read too.
  return {
    ...entry,
    ...Object.fromEntries(fields.map((f) => [f, null])),
    withheld: { by: 'clearance', fields },
  } as AuditEntryView;
}

/**
 * An entry of `country`'s own callers, to an auditor of it below RED: the records of `country` read, none of another
 * (an id whose origin is not known, of an entry written before origins were, counts as another's). Its fields of the
 * records read are named withheld whether or not any was left out, so that the list does not tell that one was; its
 * query is withheld when it names a record left out (a read of one by id).
 */
function ownCountryEntry(country: string, entry: AuditEntry): AuditEntryView {
  const own = entry.reportIds.map((_, i) => entry.reportOrigins?.[i] === country);
  const query = JSON.stringify(entry.query ?? {});
  const namesOther = entry.reportIds.some((id, i) => !own[i] && query.includes(JSON.stringify(id)));
  const ofCountry = (origins: string[]) => origins.filter((c) => c === country);
  const fields: Withheld[] = [
    ...(namesOther ? ['query' as const] : []),
    ...OWN_COUNTRY_FIELDS,
    ...CHAIN_FIELDS,
  ];
  return {
    ...entry,
    ...(namesOther && { query: null }),
    reportIds: entry.reportIds.filter((_, i) => own[i]),
    ...(entry.reportOrigins && { reportOrigins: entry.reportOrigins.filter((_, i) => own[i]) }),
    ...(entry.origins && { origins: ofCountry(entry.origins) }),
    ...(entry.cutOrigins && { cutOrigins: ofCountry(entry.cutOrigins) }),
    prevHash: null,
    hash: null,
    withheld: { by: 'clearance', fields },
  } as AuditEntryView;
}

/** GET /v1/audit for auditors and admins (entries shown as auditEntryFor says). */
export function auditRoutes(deps: { audit: AuditLog }): Router {
  const router = Router();
  router.get('/v1/audit', requireRole('auditor', 'admin'), async (req, res) => {
    const caller = req.caller!;
    // Parameters are checked before the chain is walked; a limit not from 1 to 1000 is refused naming the rule.
    const p = parseParams(req.query as Record<string, unknown>, AUDIT_PARAMS);
    const { limit, verify, ...query } = p;
    // Filters are of who, what and when only: none selects entries by what an entry may withhold.
    const page = await deps.audit.page(query as AuditQuery, (limit as number | undefined) ?? 200, {
      verify: verify !== 'false',
    });
    // Who looked at the log is in it too, once the page is read (the page and its verification are of the log before).
    await deps.audit.append({
      actor: actorOf(caller),
      action: 'audit',
      query: { ...p },
      count: page.entries.length,
      reportIds: [],
    });
    // The verification (valid, checked, intact, brokenAt) was made over the stored entries, whole: it is the same
    // whatever this caller is shown of them.
    const entries = page.entries.map((e) => auditEntryFor(caller, e));
    const withheld = entries.some((e) => 'withheld' in e);
    res.json({
      ...(verify === 'false' ? { verified: false } : {}),
      ...page,
      entries,
      ...(withheld ? { withheldRule: WITHHELD_RULE } : {}),
    });
  });
  return router;
}
