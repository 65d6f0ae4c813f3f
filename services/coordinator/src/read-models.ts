// Read models kept on ingest. Each affected report's contributions are rewritten, then every bucket they touch is
// recomputed from the contributions: exact under versions, retractions and redelivery (no increments to double).
import { COLLECTIONS, type Store, type StoredReport } from '@hub/store';

export interface Contribution {
  _id: string;
  reportId: string;
  bucket: string;
  kind: 'stats' | 'leg';
  fields: Record<string, unknown>;
  kg: number;
  seizedAt: Date;
}

/** Bucket keys and amounts one report version contributes (none when it is not active). */
export function contributionsOf(report: StoredReport): Contribution[] {
  if (report.status !== 'active') return [];
  const out: Contribution[] = [];
  const h = report.handling;
  const audience = `${report.originCountry}|${h.tlp}|${h.releasableCountries.join(',')}`;
  const d = report.seizedAt;
  const year = d.getUTCFullYear();
  const month = d.getUTCMonth() + 1;
  const drugs = (report.report.drugs as { substance: string; quantityKg: number | null }[]) ?? [];
  drugs.forEach((drug, i) => {
    const fields = {
      source: 'seizures',
      country: report.country,
      substance: drug.substance,
      year,
      month,
      originCountry: report.originCountry,
      tlp: h.tlp,
      releasableCountries: h.releasableCountries,
    };
    out.push({
      _id: `${report._id}:s${i}`,
      reportId: report._id,
      kind: 'stats',
      bucket: `s|${report.country}|${drug.substance}|${year}-${month}|${audience}`,
      fields,
      kg: drug.quantityKg ?? 0,
      seizedAt: d,
    });
  });
  const route = ((report.report.route as { country: string }[]) ?? []).map((p) => p.country);
  const substances = report.substances.length ? report.substances : ['unknown'];
  for (let i = 0; i + 1 < route.length; i++) {
    const from = route[i] as string;
    const to = route[i + 1] as string;
    if (from === to) continue;
    for (const substance of substances) {
      const kg = drugs.filter((x) => x.substance === substance).reduce((s, x) => s + (x.quantityKg ?? 0), 0);
      out.push({
        _id: `${report._id}:l${i}:${substance}`,
        reportId: report._id,
        kind: 'leg',
        bucket: `l|${from}|${to}|${substance}|${audience}`,
        fields: {
          from,
          to,
          substance,
          originCountry: report.originCountry,
          tlp: h.tlp,
          releasableCountries: h.releasableCountries,
        },
        kg,
        seizedAt: d,
      });
    }
  }
  return out;
}

export async function updateReadModels(store: Store, reportIds: string[]): Promise<void> {
  if (reportIds.length === 0) return;
  const contributions = store.collection<Contribution>(COLLECTIONS.contributions);
  const reports = await store
    .collection<StoredReport>(COLLECTIONS.reports)
    .find({ _id: { $in: reportIds } })
    .toArray();
  const before = await contributions
    .find({ reportId: { $in: reportIds } }, { projection: { bucket: 1 } })
    .toArray();
  const after = reports.flatMap(contributionsOf);
  const affected = new Set([...before.map((c) => c.bucket), ...after.map((c) => c.bucket)]);
  await contributions.deleteMany({ reportId: { $in: reportIds } });
  if (after.length) await contributions.insertMany(after);
  const fieldsOf = new Map(after.map((c) => [c.bucket, c.fields]));
  // Summed here rather than with $group: FerretDB 1.24 has no $max accumulator.
  const totals = new Map<string, { kg: number; n: number; last: Date }>();
  for await (const c of contributions.find(
    { bucket: { $in: [...affected] } },
    { projection: { bucket: 1, kg: 1, seizedAt: 1 } },
  )) {
    const t = totals.get(c.bucket) ?? { kg: 0, n: 0, last: c.seizedAt };
    t.kg += c.kg;
    t.n += 1;
    if (c.seizedAt > t.last) t.last = c.seizedAt;
    totals.set(c.bucket, t);
  }
  for (const bucket of affected) {
    const target = store.collection(
      bucket.startsWith('s|') ? COLLECTIONS.statsMonthly : COLLECTIONS.routeLegs,
    );
    const t = totals.get(bucket);
    if (!t) {
      await target.deleteOne({ _id: bucket as never });
      continue;
    }
    const fields = fieldsOf.get(bucket) ?? (await target.findOne({ _id: bucket as never })) ?? {};
    const { _id: _ignored, ...rest } = fields as Record<string, unknown>;
    const amounts = bucket.startsWith('s|')
      ? { quantityKg: t.kg, count: t.n }
      : { quantityKg: t.kg, count: t.n, lastSeenAt: t.last };
    await target.replaceOne({ _id: bucket as never }, { ...rest, ...amounts }, { upsert: true });
  }
}
