// Unit tier: a message the hub took before, read again after its signer's certificate was revoked (a chunk
// redelivered after a crash, a node's outbox publishing the same bytes once more) keeps its first verdict: it is
// answered with the receipt it had, not refused anew with a receipt and a quarantine entry of its own while the hub
// keeps what it stored. A new message signed with the revoked key is refused, and claims nothing.
import { expect } from 'chai';
import { createHash, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { seizureReportFromJson } from '@hub/domain';
import { createSigner, createVerifier } from '@hub/envelope';
import { topicNames } from '@hub/kafka';
import { createTrustStore } from '@hub/pki';
import { loadSchemaRegistry } from '@hub/schemas';
import { classifyBatch, type IntakeDeps } from '@hub/coordinator/intake';
import type { IntakeRecord, Outcome } from '@hub/coordinator/outcome';
import { Outgoing } from '@hub/coordinator/outgoing';
import { buildReplies } from '@hub/coordinator/replies';
import { decodeLockedStage, encodeLockedStage, resumedOutcomes } from '@hub/coordinator/resume';
import { identity, testPki } from '../../services/pki/test/fixtures';

const registry = loadSchemaRegistry();
const names = topicNames('');
const minimal = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'examples', 'minimal-report.json'), 'utf8'),
) as Record<string, unknown>;

const HOUR = 3600_000;
/** When KZ's node signed the report, and when the hub first took it. */
const signedAt = Date.now() - 2 * HOUR;

type Claims = { messageId: string; sha256: string }[];

describe('coordinator intake: a message taken before, read again after its signer was revoked', function () {
  this.timeout(60000);
  const pki = testPki();

  /** A trust store holding KZ's certificate; `revokedAt`: revoked as of then. */
  const trustWith = (cert: { certificatePem: string; fingerprint: string }, revokedAt?: number) => {
    const trust = createTrustStore(pki.ca.certPem);
    trust.add(cert.certificatePem);
    if (revokedAt !== undefined)
      trust.revoke({ fingerprint: cert.fingerprint, revokedAt, reason: 'key lost' });
    return trust;
  };

  /**
   * A report of KZ's signed at `signedAt` with `signer`, as read from KZ's topic at `offset` (`record`), or at
   * another offset and append time (`at`: the same bytes published again).
   */
  const published = (signer: { key: KeyObject; certificatePem: string }, offset: number) => {
    const value = seizureReportFromJson(minimal, {
      nodeCountry: 'KZ',
      now: signedAt,
      versionOf: () => 1,
      regions: new Set(),
    }).value;
    const { payload, fingerprint } = registry.encode('SeizureReport', value);
    const { bytes, envelope } = createSigner({
      privateKey: signer.key,
      certificate: signer.certificatePem,
      origin: 'KZ',
      clock: () => signedAt,
    }).signEncoded({ messageType: 'SeizureReport', schemaFingerprint: fingerprint, payload });
    const record = (at: number, appendedAt = signedAt): IntakeRecord => ({
      topic: names.nodeOut('KZ'),
      partition: 0,
      offset: String(at),
      key: String(value.reportId),
      bytes,
      appendedAt,
    });
    return {
      envelope,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      record: record(offset),
      at: record,
    };
  };
  // Valid from before the report was signed.
  const kzIdentity = identity(pki.ca, 'KZ', { notBefore: new Date(signedAt - HOUR) });
  const kz = { key: kzIdentity.key, certificatePem: kzIdentity.cert.certificatePem };

  /** classifyBatch's collaborators; the message ids claimed before are `held` (id → digest), and stay so. */
  const depsOf = (trust: ReturnType<typeof trustWith>, held: Map<string, string>, now = Date.now()) => {
    const claimed: Claims[] = [];
    const looked: Claims[] = [];
    const heldOf = (claims: Claims) =>
      new Map(
        claims.flatMap((c) =>
          held.has(c.messageId) ? [[c.messageId, held.get(c.messageId)!] as const] : [],
        ),
      );
    const deps: IntakeDeps = {
      verifier: createVerifier({ trust, clock: () => now }),
      registry,
      countryOf: names.countryOf,
      clock: () => now,
      claimDigests: async (claims) => {
        claimed.push(claims);
        const answer = heldOf(claims);
        for (const c of claims) if (!held.has(c.messageId)) held.set(c.messageId, c.sha256);
        return answer;
      },
      heldDigests: async (claims) => {
        looked.push(claims);
        return heldOf(claims);
      },
    };
    return { deps, claimed, looked };
  };

  const receiptsOf = (outcomes: Outcome[]) => {
    const replies = buildReplies(outcomes, new Outgoing(registry), { names, clock: Date.now });
    return {
      receipts: replies.receipts.map((r) => ({ id: r._id, status: r.status })),
      quarantined: replies.quarantined.length,
    };
  };

  it('answers the same bytes published again after the revocation with the receipt of their acceptance, and quarantines nothing', async () => {
    const m = published(kz, 10);
    const held = new Map<string, string>();
    // Taken when it came.
    const first = await classifyBatch(
      [m.record],
      depsOf(trustWith(kzIdentity.cert), held, signedAt + 1000).deps,
    );
    expect(first.map((o) => o.kind)).to.deep.equal(['accepted']);
    const firstAnswer = receiptsOf(first);
    expect(firstAnswer.receipts.map((r) => r.status)).to.deep.equal(['accepted']);

    // KZ's certificate revoked an hour later; its node's outbox publishes the same bytes once more after that.
    const trust = trustWith(kzIdentity.cert, signedAt + HOUR);
    const { deps, looked } = depsOf(trust, held);
    const again = await classifyBatch([m.at(11, Date.now())], deps);
    expect(
      again.map((o) => o.kind),
      'the first verdict stands',
    ).to.deep.equal(['accepted']);
    expect(again[0]).to.deep.include({ kind: 'accepted', subjectVersion: 1, sha256: m.sha256 });
    expect(receiptsOf(again), 'the same receipt as before, no quarantine entry').to.deep.equal(firstAnswer);
    expect(
      looked.flat().map((c) => c.messageId),
      'its claim looked up',
    ).to.deep.equal([m.envelope.messageId]);
  });

  it('refuses a new message signed with the revoked key, and claims nothing for it', async () => {
    const m = published(kz, 20);
    const { deps, claimed } = depsOf(trustWith(kzIdentity.cert, signedAt + HOUR), new Map());
    const [outcome] = await classifyBatch([m.record], deps);
    expect(outcome).to.deep.include({ kind: 'rejected', reason: 'revoked' });
    expect(claimed.flat(), 'its message id is not spent').to.deep.equal([]);
    const answer = receiptsOf([outcome!]);
    expect(answer.receipts.map((r) => r.status)).to.deep.equal(['rejected']);
    expect(answer.quarantined).to.equal(1);
  });

  it('refuses bytes other than those claimed under their message id', async () => {
    const m = published(kz, 30);
    const held = new Map([[m.envelope.messageId, 'f'.repeat(64)]]);
    const [outcome] = await classifyBatch(
      [m.record],
      depsOf(trustWith(kzIdentity.cert, signedAt + HOUR), held).deps,
    );
    expect(outcome).to.deep.include({ kind: 'rejected', reason: 'revoked' });
  });

  it('refuses a message whose key was revoked as of a time before it signed it, claimed or not', async () => {
    const m = published(kz, 40);
    const held = new Map([[m.envelope.messageId, m.sha256]]);
    const [outcome] = await classifyBatch(
      [m.record],
      depsOf(trustWith(kzIdentity.cert, signedAt - HOUR), held).deps,
    );
    expect(outcome).to.deep.include({ kind: 'rejected', reason: 'revoked' });
  });

  it('keeps the acceptance of a message taken while its certificate was valid, published again after it expired', async () => {
    const shortLived = identity(pki.ca, 'KZ', { validityDays: 1, notBefore: new Date(signedAt - HOUR) });
    const m = published({ key: shortLived.key, certificatePem: shortLived.cert.certificatePem }, 50);
    const held = new Map([[m.envelope.messageId, m.sha256]]);
    const later = Date.now() + 3 * 24 * HOUR;
    const [outcome] = await classifyBatch(
      [m.at(51, later)],
      depsOf(trustWith(shortLived.cert), held, later).deps,
    );
    expect(outcome).to.deep.include({ kind: 'accepted', subjectVersion: 1 });
  });

  it('a chunk stored, then its signer revoked before its answers: answered from its locked stage as accepted', async () => {
    const m = published(kz, 60);
    const fresh = published(kz, 61);
    // The locked stage took the first and refused the second (its key was revoked then already, say).
    const taken = await classifyBatch(
      [m.record],
      depsOf(trustWith(kzIdentity.cert), new Map(), signedAt + 1000).deps,
    );
    const stage = decodeLockedStage(
      encodeLockedStage(
        { '60': 'd60', '61': 'd61' },
        [
          taken[0]!,
          {
            kind: 'rejected',
            record: fresh.record,
            reason: 'revoked',
            detail: 'revoked then',
            envelope: fresh.envelope,
          },
        ],
        [],
        new Map(),
      ),
    );
    // Classified again as coordinator.ts does for a chunk its locked stage recorded: its very bytes claimed by itself.
    const selfClaimed = async (claims: Claims) => new Map(claims.map((c) => [c.messageId, c.sha256]));
    const deps: IntakeDeps = {
      ...depsOf(trustWith(kzIdentity.cert, signedAt + HOUR), new Map()).deps,
      claimDigests: selfClaimed,
      heldDigests: selfClaimed,
    };
    const classified = await classifyBatch([m.record, fresh.record], deps);
    const resumed = resumedOutcomes(stage, classified);
    expect(resumed, 'answered from the record, not processed in full').to.not.equal(undefined);
    expect(resumed!.map((o) => `${o.record.offset}:${o.kind}`)).to.deep.equal(['60:accepted', '61:rejected']);
    expect(receiptsOf(resumed!.slice(0, 1))).to.deep.equal(receiptsOf(taken));
  });
});
