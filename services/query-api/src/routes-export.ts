// GET /v1/export/seizures.csv and GET /v1/export/routes.geojson: downloads for analysts, filtered by handling
// exactly like search and routes, and written to the audit log before a single byte leaves.
import { Router } from 'express';
import { COLLECTIONS, findSorted, type Store, type StoredReport } from '@hub/store';
import type { AuditLog } from './audit';
import { countryTable } from './dashboard';
import { parseParams } from './params';
import { actorOf, searchFilter } from './routes-seizures';
import { legsOf, routeLegBuckets } from './routes-stats';

// The search filters of GET /v1/seizures, without paging: an export is one file.
const SEIZURES = {
  country: { kind: 'country' },
  drug: { kind: 'drug' },
  from: { kind: 'date' },
  to: { kind: 'date' },
  routeCountry: { kind: 'country' },
  conveyance: { kind: 'conveyance' },
  limit: { kind: 'int', min: 1, max: 10000 },
} as const;

const ROUTES = { country: { kind: 'country' }, drug: { kind: 'drug' } } as const;

const COLUMNS = [
  'reportId',
  'version',
  'seizedAt',
  'country',
  'originCountry',
  'place',
  'lat',
  'lon',
  'locationType',
  'agency',
  'substances',
  'drugs',
  'totalKg',
  'conveyanceMode',
  'vehicle',
  'concealment',
  'detection',
  'route',
  'tlp',
  'releasableTo',
  'evaluation',
  'receivedAt',
] as const;

/**
 * One CSV cell; text that a spreadsheet would run as a formula is prefixed with a quote, at the start of the cell and
 * after each separator of any locale (`,`; `;` in ru-RU, kk-KZ and much of Europe; tab; a line break). A cell holding
 * one is also quoted. Quoting alone is not enough: a spreadsheet splitting at `;` reads this file's lines as one cell
 * up to the first `;`, so every later cell starts mid-cell, where its quotes are text and do not protect it.
 */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let s = value instanceof Date ? value.toISOString() : String(value);
  if (typeof value === 'string') {
    s = s.replace(/([,;\t\r\n][\s"]*)(?=[=+\-@])/g, "$1'");
    if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  }
  return /[",;\t\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}

type Row = Record<(typeof COLUMNS)[number], unknown>;

/** The parts of a decoded SeizureReport that the export reads. */
interface ReportFields {
  place?: { name?: string; lat?: number; lon?: number; locationType?: string | null };
  agency?: string | null;
  drugs?: { substance: string; quantity: number; unit: string }[];
  conveyance?: { mode?: string | null; vehicle?: string | null } | null;
  concealment?: string | null;
  detection?: string | null;
  route?: { country: string }[];
}

function rowOf(doc: StoredReport): Row {
  const r = doc.report as ReportFields;
  const drugs = r.drugs ?? [];
  return {
    reportId: doc.reportId,
    version: doc.version,
    seizedAt: doc.seizedAt,
    country: doc.country,
    originCountry: doc.originCountry,
    place: r.place?.name,
    lat: r.place?.lat,
    lon: r.place?.lon,
    locationType: r.place?.locationType,
    agency: r.agency,
    substances: doc.substances.join(' '),
    drugs: drugs.map((d) => `${d.substance} ${d.quantity} ${d.unit}`).join('; '),
    totalKg: doc.totalKg,
    conveyanceMode: r.conveyance?.mode,
    vehicle: r.conveyance?.vehicle,
    concealment: r.concealment,
    detection: r.detection,
    route: (r.route ?? []).map((p) => p.country).join('>'),
    tlp: doc.handling.tlp,
    releasableTo: (doc.handling.releasableTo ?? []).join(' '),
    evaluation: doc.handling.evaluation,
    receivedAt: doc.receivedAt,
  };
}

const stamp = (d: Date) => d.toISOString().slice(0, 10).replace(/-/g, '');

export function exportRoutes(deps: { store: Store; audit: AuditLog }): Router {
  const router = Router();
  const reports = deps.store.collection<StoredReport>(COLLECTIONS.reports);

  router.get('/v1/export/seizures.csv', async (req, res) => {
    const p = parseParams(req.query as Record<string, unknown>, SEIZURES);
    const caller = req.caller!;
    const and = searchFilter(caller, p);
    const limit = (p.limit as number | undefined) ?? 10000;
    const docs = await findSorted(
      deps.store.engine,
      reports,
      { $and: and },
      {
        sort: { seizedAt: -1, _id: -1 },
        limit: limit + 1,
      },
    );
    const rows = docs.slice(0, limit);
    await deps.audit.append({
      actor: actorOf(caller),
      action: 'export',
      query: { ...p, format: 'csv' },
      count: rows.length,
      reportIds: rows.map((d) => d._id),
      reportOrigins: rows.map((d) => d.originCountry),
    });
    const lines = [COLUMNS.join(','), ...rows.map((d) => COLUMNS.map((c) => csvCell(rowOf(d)[c])).join(','))];
    res.setHeader('content-type', 'text/csv; charset=utf-8');
    res.setHeader('content-disposition', `attachment; filename="seizures-${stamp(new Date())}.csv"`);
    res.setHeader('x-export-truncated', String(docs.length > limit));
    // The byte-order mark lets spreadsheets read Cyrillic place names as UTF-8.
    res.send(`\ufeff${lines.join('\r\n')}\r\n`);
  });

  router.get('/v1/export/routes.geojson', async (req, res) => {
    const p = parseParams(req.query as Record<string, unknown>, ROUTES);
    const caller = req.caller!;
    const buckets = await routeLegBuckets(deps.store, caller, p);
    const legs = legsOf(buckets);
    await deps.audit.append({
      actor: actorOf(caller),
      action: 'export',
      query: { ...p, format: 'geojson' },
      count: legs.length,
      reportIds: [],
    });
    const places = countryTable();
    const features = legs.map((l) => {
      const a = places[l.from]?.centroid;
      const b = places[l.to]?.centroid;
      return {
        type: 'Feature',
        // A leg to a place without geometry keeps its figures; GeoJSON allows a null geometry for that.
        geometry: a && b ? { type: 'LineString', coordinates: [a, b] } : null,
        properties: {
          from: l.from,
          to: l.to,
          count: l.count,
          quantityKg: Math.round(l.quantityKg * 1e6) / 1e6,
          substances: [...l.substances].sort(),
          lastSeenAt: l.lastSeenAt,
        },
      };
    });
    res.setHeader('content-type', 'application/geo+json; charset=utf-8');
    res.setHeader('content-disposition', `attachment; filename="routes-${stamp(new Date())}.geojson"`);
    res.send(JSON.stringify({ type: 'FeatureCollection', features }));
  });
  return router;
}
