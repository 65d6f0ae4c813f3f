// Intake: verify each envelope before anything reads its payload, then replay check, schema, content.
import { createHash } from 'node:crypto';
import type { Verifier } from '@hub/envelope';
import { HubError } from '@hub/errors';
import type { SchemaRegistry } from '@hub/schemas';
import {
  checkAnnualReturn,
  checkRenewal,
  checkRoute,
  checkSeizureReport,
  flagSeizureReport,
} from './content-checks';
import { checkInformationRequest, checkInformationResponse } from './requests';
import type { IntakeRecord, Outcome } from './outcome';

export interface IntakeDeps {
  verifier: Verifier;
  registry: SchemaRegistry;
  countryOf: (topic: string) => string | undefined;
  /** sha256 of archived envelopes by messageId, for the replay check. */
  archivedDigests: (messageIds: string[]) => Promise<Map<string, string>>;
  clock: () => number;
}

const SUBJECT_FIELD: Record<string, string> = {
  SeizureReport: 'reportId',
  SeizureRetraction: 'reportId',
  AnnualSeizureReturn: 'returnId',
  TraffickingRoute: 'routeId',
  InformationRequest: 'requestId',
  InformationResponse: 'responseId',
  RetentionRenewal: 'subjectId',
};

const CONTENT_CHECKS: Record<string, typeof checkSeizureReport> = {
  SeizureReport: checkSeizureReport,
  AnnualSeizureReturn: checkAnnualReturn,
  TraffickingRoute: checkRoute,
  InformationRequest: checkInformationRequest,
  InformationResponse: checkInformationResponse,
  RetentionRenewal: checkRenewal,
};

export async function classifyBatch(records: IntakeRecord[], deps: IntakeDeps): Promise<Outcome[]> {
  const verified = records.map((record) => ({
    record,
    result: deps.verifier.verify(record.bytes, { expectedCountry: deps.countryOf(record.topic) }),
  }));
  const ids = verified.flatMap((v) => (v.result.ok ? [v.result.envelope.messageId] : []));
  const archived = ids.length ? await deps.archivedDigests(ids) : new Map<string, string>();
  const seenInBatch = new Map<string, string>();
  return verified.map(({ record, result }): Outcome => {
    if (!result.ok)
      return {
        kind: 'rejected',
        record,
        reason: result.reason,
        detail: result.detail,
        envelope: result.envelope,
      };
    const envelope = result.envelope;
    const sha256 = createHash('sha256').update(record.bytes).digest('hex');
    const known = archived.get(envelope.messageId) ?? seenInBatch.get(envelope.messageId);
    if (known && known !== sha256) {
      return {
        kind: 'rejected',
        record,
        reason: 'replay',
        detail: `message id ${envelope.messageId} was seen before with different content`,
        envelope,
      };
    }
    seenInBatch.set(envelope.messageId, sha256);
    const subjectField = SUBJECT_FIELD[envelope.messageType];
    if (!subjectField) {
      return {
        kind: 'rejected',
        record,
        reason: 'unknown-schema',
        detail: `message type ${envelope.messageType} is not accepted from national nodes`,
        envelope,
      };
    }
    const writer = deps.registry.byFingerprint(envelope.schemaFingerprint);
    if (!writer || writer.name !== envelope.messageType) {
      return {
        kind: 'rejected',
        record,
        reason: 'unknown-schema',
        detail: `no ${envelope.messageType} schema has fingerprint ${envelope.schemaFingerprint.toString('hex')}`,
        envelope,
      };
    }
    let value: Record<string, unknown>;
    try {
      value = deps.registry.decode(envelope.schemaFingerprint, envelope.payload);
    } catch (err) {
      return {
        kind: 'rejected',
        record,
        reason: err instanceof HubError && err.code === 'UNKNOWN_SCHEMA' ? 'unknown-schema' : 'malformed',
        detail: (err as Error).message,
        envelope,
      };
    }
    const fields = CONTENT_CHECKS[envelope.messageType]?.(value, envelope.origin, deps.clock()) ?? [];
    if (fields.length) {
      return {
        kind: 'rejected',
        record,
        reason: 'invalid-content',
        detail: fields.map((f) => `${f.field}: ${f.message}`).join('; '),
        envelope,
        fields,
      };
    }
    const subjectId = String(value[subjectField]);
    const subjectVersion = typeof value.version === 'number' ? value.version : null;
    return {
      kind: 'accepted',
      record,
      envelope,
      signer: result.signer,
      sha256,
      value,
      subjectId,
      subjectVersion,
      flags: envelope.messageType === 'SeizureReport' ? flagSeizureReport(value) : [],
    };
  });
}
