// Shapes of the documents in the consolidated store, shared by the coordinator (writer) and the query API (reader).
// Dates are BSON dates; quantities are kilograms. Owners may extend these; keep every field documented.

export type Tlp = 'CLEAR' | 'GREEN' | 'AMBER' | 'AMBER+STRICT' | 'RED';

/** Handling as stored: TLP in its TLP 2.0 spelling, releasable-to expanded to country codes. */
export interface StoredHandling {
  tlp: Tlp;
  /** As the originator wrote it: ISO codes and region ids. */
  releasableTo: string[];
  /** Expanded to ISO alpha-2 codes (regions resolved at ingest), for index-friendly filtering. */
  releasableCountries: string[];
  evaluation: string | null;
}

/** Current version of one seizure report (`reports`, _id = reportId). History lives in `report_versions`. */
export interface StoredReport {
  _id: string;
  reportId: string;
  version: number;
  status: 'active' | 'retracted' | 'erased';
  /** Country of the node that signed it (the originator). */
  originCountry: string;
  /** Country of seizure. */
  country: string;
  seizedAt: Date;
  reportedAt: Date;
  receivedAt: Date;
  /** Envelope message id of this version (the archived, signed original is in `envelopes`). */
  messageId: string;
  signerFingerprint: string;
  handling: StoredHandling;
  /** The decoded SeizureReport payload, field for field, with seizedAt/reportedAt as ms numbers as on the wire. */
  report: Record<string, unknown>;
  /** Denormalised for indexes and filters. */
  substances: string[];
  drugGroups: string[];
  routeCountries: string[];
  conveyanceMode: string | null;
  totalKg: number;
  /** Accepted but flagged for review (e.g. coordinates-outside-country). */
  flags?: string[];
  reviewAt?: Date;
}

/** One version of a report (`report_versions`, _id = `${reportId}:${version}`). Never overwritten. */
export interface StoredReportVersion extends Omit<StoredReport, '_id'> {
  _id: string;
  supersededAt: Date | null;
}

/** The write-once archive of original envelope bytes (`envelopes`, _id = messageId). */
export interface StoredEnvelope {
  _id: string;
  messageType: string;
  origin: string;
  subjectId: string;
  subjectVersion: number | null;
  topic: string;
  partition: number;
  offset: string;
  /** The exact bytes as read from Kafka. */
  bytes: Buffer;
  /** SHA-256 of `bytes`, hex: replay detection compares it. */
  sha256: string;
  signerFingerprint: string;
  /** The signer's certificate, so the record can be re-verified offline with the CA certificate alone. */
  signerCertificatePem: string;
  receivedAt: Date;
}

/**
 * Read model `stats_monthly`: one bucket per source, country, substance, month and audience.
 * Handling is part of the key so that the API can add up only what the caller may see.
 */
export interface StatsBucket {
  _id: string;
  source: 'seizures' | 'annual';
  country: string;
  substance: string;
  drugGroup: string;
  /** WDR aggregates the substance counts toward (e.g. 'cocaine'). */
  aggregates: string[];
  year: number;
  /** 1-12, or null for annual returns. */
  month: number | null;
  originCountry: string;
  tlp: Tlp;
  releasableCountries: string[];
  quantityKg: number;
  count: number;
}

/** Read model `route_legs`: a leg between two countries, per substance and audience. */
export interface RouteLegBucket {
  _id: string;
  from: string;
  to: string;
  substance: string;
  originCountry: string;
  tlp: Tlp;
  releasableCountries: string[];
  count: number;
  quantityKg: number;
  lastSeenAt: Date;
}

/** One cell of an annual return: a drug (taxonomy code, or a slug of its annex name) with its kilograms. */
export interface AnnualCell {
  drug: string;
  drugName: string;
  /** Drug-group code (schemas/vocab/drug-groups.json). */
  drugGroup: string;
  substance: string | null;
  /** The World Drug Report aggregates this cell is part of (none for total rows). */
  aggregates: string[];
  /** For a "(total ...)" row: the aggregate it totals, which stands beside its parts. */
  totalOf: string | null;
  kg: number;
  /** Rows of the return added up in this cell (the annex repeats some drug names). */
  rows: number;
}

/** Current version of one annual return (`annual_returns`, _id = returnId); also the annual statistics' read model. */
export interface StoredAnnualReturn {
  _id: string;
  returnId: string;
  version: number;
  country: string;
  year: number;
  originCountry: string;
  messageId: string;
  signerFingerprint: string;
  reportedAt: Date;
  receivedAt: Date;
  source: string | null;
  /** The agency system its node authenticated (AnnualSeizureReturn v2); null for none, or an earlier version. */
  submittedBy: string | null;
  handling: StoredHandling;
  tlp: Tlp;
  releasableCountries: string[];
  cells: AnnualCell[];
}
