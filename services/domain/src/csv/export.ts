// A JSON seizure report → rows of the CSV template (one per drug), the inverse of ids.ts for the template's
// columns: used to check that the template and the importer agree, and to export reports for a spreadsheet.
import { COLUMNS, TEMPLATE_COLUMNS, type ColumnKey } from './columns';

type Json = Record<string, unknown>;

const str = (v: unknown) => (v === undefined || v === null ? '' : String(v));
const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const arr = (v: unknown): Json[] => (Array.isArray(v) ? (v as Json[]) : []);

/** The template's header line values. */
export function templateHeader(): string[] {
  return TEMPLATE_COLUMNS.map((k) => COLUMNS[k].title);
}

/** One row per drug of `report` (the JSON input shape), in the template's column order. */
export function idsRowsFromReport(report: Json): string[][] {
  const place = obj(report.place);
  const conveyance = obj(report.conveyance);
  const handling = obj(report.handling);
  const identifiers = arr(conveyance.identifiers);
  const plate = identifiers.find((i) => i.kind === 'plate');
  const route = arr(report.route);
  const legs = (role: string) =>
    route
      .filter((l) => l.role === role)
      .map((l) => str(l.country))
      .join('; ');
  const shared: Partial<Record<ColumnKey, string>> = {
    reference: str(report.caseReference),
    date: str(report.seizedAt),
    iso3: str(report.country),
    placeName: str(place.name),
    city: str(place.city),
    adminRegion: str(place.adminRegion),
    locationType: str(place.locationType),
    lat: str(place.lat),
    lon: str(place.lon),
    borderCrossing: str(place.borderCrossingPoint),
    direction: str(place.direction),
    mode: str(conveyance.mode),
    vehicle: str(conveyance.vehicle),
    plate: str(plate?.value),
    identifiers: identifiers
      .filter((i) => i !== plate)
      .map((i) => `${str(i.kind)}:${str(i.value)}`)
      .join('; '),
    concealment: str(report.concealment),
    detection: str(report.detection),
    producing: legs('origin'),
    departure: legs('departure'),
    transit: legs('transit'),
    destination: legs('destination'),
    arrested: arr(report.arrested)
      .map((a) => `${str(a.nationality)}:${str(a.count)}`)
      .join('; '),
    agency: str(report.agency),
    agencyName: str(report.agencyName),
    tlp: str(handling.tlp),
    releasableTo: (Array.isArray(handling.releasableTo) ? handling.releasableTo : []).map(str).join(','),
    evaluation: str(handling.evaluation),
    notes: str(report.notes),
    source: str(report.source),
  };
  return arr(report.drugs).map((d) => {
    const row: Partial<Record<ColumnKey, string>> = {
      ...shared,
      substance: str(d.substance),
      quantity: str(d.quantity),
      unit: str(d.unit),
      form: str(d.form),
      purity: str(d.purityPct),
      packages: str(d.packageCount),
    };
    return TEMPLATE_COLUMNS.map((k) => row[k] ?? '');
  });
}
