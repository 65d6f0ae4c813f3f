// Building store documents from accepted messages (pure functions).
import { groupOfSubstance, roundKg } from '@hub/domain';
import { expandReleasable, type Region } from '@hub/schemas';
import type { StoredEnvelope, StoredHandling, StoredReport, Tlp } from '@hub/store';
import { firstRead, type Accepted } from './outcome';

export function tlpLabel(avro: unknown): Tlp {
  return (avro === 'AMBER_STRICT' ? 'AMBER+STRICT' : String(avro)) as Tlp;
}

export function storedHandling(handling: Record<string, unknown>, regions: Region[]): StoredHandling {
  const releasableTo = Array.isArray(handling.releasableTo) ? (handling.releasableTo as string[]) : [];
  return {
    tlp: tlpLabel(handling.tlp),
    releasableTo,
    releasableCountries: expandReleasable(releasableTo, regions),
    evaluation: (handling.evaluation as string | null) ?? null,
  };
}

export function envelopeDocument(a: Accepted, now: Date): StoredEnvelope {
  return {
    _id: a.envelope.messageId,
    messageType: a.envelope.messageType,
    origin: a.envelope.origin,
    subjectId: a.subjectId,
    subjectVersion: a.subjectVersion,
    // Where the node wrote it (a re-driven record: where it was first read).
    ...firstRead(a.record),
    bytes: a.record.bytes,
    sha256: a.sha256,
    signerFingerprint: a.signer.fingerprint,
    signerCertificatePem: a.signer.certificatePem,
    receivedAt: now,
  };
}

export function reportDocument(a: Accepted, regions: Region[], now: Date): StoredReport {
  const r = a.value;
  const drugs = (r.drugs as { substance: string; quantityKg: number | null }[]) ?? [];
  const route = (r.route as { country: string }[]) ?? [];
  const conveyance = r.conveyance as { mode?: string } | null;
  return {
    _id: a.subjectId,
    reportId: a.subjectId,
    version: r.version as number,
    status: 'active',
    originCountry: a.envelope.origin,
    country: r.country as string,
    seizedAt: new Date(r.seizedAt as number),
    reportedAt: new Date(r.reportedAt as number),
    receivedAt: now,
    messageId: a.envelope.messageId,
    signerFingerprint: a.signer.fingerprint,
    handling: storedHandling(r.handling as Record<string, unknown>, regions),
    report: r,
    substances: [...new Set(drugs.map((d) => d.substance))],
    drugGroups: [...new Set(drugs.map((d) => groupOfSubstance(d.substance) ?? 'other'))],
    routeCountries: [...new Set(route.map((p) => p.country))],
    conveyanceMode: conveyance?.mode ?? null,
    // Rounded as the read models round their sums: 100 g + 200 g is 0.3 kg, not 0.30000000000000004.
    totalKg: roundKg(drugs.reduce((s, d) => s + (d.quantityKg ?? 0), 0)),
    flags: (a.flags ?? []).map((f) => f.code),
  };
}
