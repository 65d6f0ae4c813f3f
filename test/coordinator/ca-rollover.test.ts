// The hub CA rolled over while the hub runs, on the real stack: `hub pki rollover` makes a new CA and publishes it on
// hub.pki signed by the old one; the coordinator, the national nodes and the query API, all started trusting the old
// CA only, take certificates from the new one without a restart, while certificates from the old one stay valid.
import { expect } from 'chai';
import { X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HUB_ORIGIN } from '@hub/envelope';
import type { Tail } from '@hub/kafka';
import { createLogger } from '@hub/observability';
import { PkiStore, fingerprintOf } from '@hub/pki';
import { COLLECTIONS, connectStore, type Store, type StoredEnvelope, type StoredReport } from '@hub/store';
import { hubAsync } from '../support/cli';
import { cliEnv, createTestEnv, waitUntil, type TestEnv } from '../support/env';
import { getJson, startTestHub, type TestHub } from '../support/hub';
import { postAccepted, receiptSigners as followReceipts } from '../support/receipts';
import { openStream } from '../support/stream';

describe('hub CA rollover: a new CA taken up by every running service, the old one still trusted', function () {
  this.timeout(240000);
  let env: TestEnv;
  let hub: TestHub | undefined;
  let store: Store | undefined;
  let inTopic: Tail | undefined;
  const logged: Record<string, unknown>[] = [];
  /** The signer of each receipt KZ's node was sent, by the report it answers. */
  let receiptSigners = new Map<string, string>();

  before(async () => {
    env = createTestEnv('ca-rollover');
    hub = await startTestHub(
      env,
      ['KZ', 'KG'],
      {
        certificateCheckMs: 300,
        logger: createLogger('coordinator', {
          destination: {
            write: (line: string) => void logged.push(JSON.parse(line) as Record<string, unknown>),
          },
        }),
      },
      { certificateCheckMs: 300 },
    );
    store = await connectStore({ url: env.config.mongo.url, dbName: env.config.mongo.dbName });
    ({ signers: receiptSigners, tail: inTopic } = await followReceipts(env, 'KZ'));
  });
  after(async () => {
    await inTopic?.stop();
    await store?.close();
    await hub?.close();
    env?.cleanup();
  });

  const accepted = (cc: string) => postAccepted(hub!.nodes[cc]!.url, cc);
  /** Who signed the stored report's archived envelope. */
  const signerOf = async (reportId: string) => {
    const doc = await store!.collection<StoredReport>(COLLECTIONS.reports).findOne({ _id: reportId });
    const envelope = await store!
      .collection<StoredEnvelope>(COLLECTIONS.envelopes)
      .findOne({ _id: doc!.messageId });
    return envelope!.signerFingerprint;
  };

  it('issues from the new CA, and everything signed under either CA is taken and verifies', async () => {
    const pki = new PkiStore(join(env.config.hubHome, 'pki'));
    const oldCaPem = pki.currentCaPem();
    const oldKz = pki.identity('KZ').fingerprint;
    const oldHub = pki.identity(HUB_ORIGIN).fingerprint;
    const oldKg = pki.identity('KG').fingerprint;
    const reader = await openStream(
      `${hub!.apiUrl}/v1/feeds/central-asia/stream`,
      hub!.token('coordinator', 'KZ', 'RED'),
    );
    try {
      const before = await accepted('KZ');

      const rolled = await hubAsync(['pki', 'rollover', '--bits', '2048'], cliEnv(env));
      expect(rolled.status, rolled.stderr).to.equal(0);
      const newCaFp = rolled.stdout.trim();
      expect(newCaFp).to.equal(fingerprintOf(new X509Certificate(pki.currentCaPem())));
      expect(rolled.stderr).to.contain('published the new CA on hub.pki');
      expect(rolled.stderr).to.match(/issue these again from the new CA .*: HUB, KG, KZ$/m);
      await waitUntil('the coordinator trusting the new CA', () =>
        logged.find((l) => l.msg === 'pki notice applied' && l.fingerprint === newCaFp),
      );

      // The coordinator and KZ get certificates from the new CA and take them up; KG keeps its old one.
      const newCa = new X509Certificate(pki.currentCaPem());
      const hubCert = pki.issue({ country: HUB_ORIGIN, agency: 'Coordination centre' });
      const kzCert = pki.issue({ country: 'KZ', agency: 'KZ customs' });
      for (const c of [hubCert, kzCert])
        expect(new X509Certificate(c.certificatePem).checkIssued(newCa)).to.equal(true);
      await waitUntil('the coordinator signing with its new certificate', async () =>
        logged.find((l) => String(l.msg).startsWith('renewed certificate taken up')),
      );
      const after = await waitUntil('KZ signing with its new certificate', async () => {
        const id = await accepted('KZ');
        return (await signerOf(id)) === kzCert.fingerprint ? id : undefined;
      });
      const kg = await accepted('KG');

      expect(await signerOf(before), 'before the rollover').to.equal(oldKz);
      expect(await signerOf(kg), 'KG, still on the old CA').to.equal(oldKg);
      await waitUntil('the receipts read from KZ’s topic', () => receiptSigners.has(after) || undefined);
      expect(receiptSigners.get(before)).to.equal(oldHub);
      expect(receiptSigners.get(after), "KZ's node verified a receipt signed under the new CA").to.equal(
        hubCert.fingerprint,
      );
      // The query API's feed stream verifies the coordinator's countersignature under the new CA too.
      const streamed = () =>
        reader.events.filter((e) => e.event === 'SeizureReport').map((e) => e.data.subjectId);
      await waitUntil('the records streamed', () => streamed().includes(after) || undefined, 30000);
      expect(streamed()).to.include.members([before, after, kg]);

      // Provenance and the offline check verify both chains.
      const analyst = hub!.token('analyst', 'KZ', 'RED');
      for (const id of [before, after, kg]) {
        const record = await getJson(`${hub!.apiUrl}/v1/seizures/${id}`, analyst);
        expect(record.status).to.equal(200);
        const provenance = record.body.provenance as { verified: boolean; issuer?: { fingerprint: string } };
        expect(provenance.verified, id).to.equal(true);
        expect(provenance.issuer?.fingerprint, `${id}: the CA that issued its signer's certificate`).to.equal(
          id === after ? newCaFp : fingerprintOf(new X509Certificate(oldCaPem)),
        );
        const verified = await hubAsync(['verify', id], cliEnv(env));
        expect(verified.status, `${id}: ${verified.stdout}${verified.stderr}`).to.equal(0);
        // It names the CA that issued the signer's certificate.
        const issuer =
          id === after
            ? `issued by ${newCa.subject
                .split('\n')
                .find((l) => l.startsWith('CN='))!
                .slice(3)} (${newCaFp.slice(0, 16)}),`
            : `issued by Seizure Exchange Hub Root CA (${fingerprintOf(new X509Certificate(oldCaPem)).slice(0, 16)}, a CA since replaced),`;
        expect(verified.stdout, id).to.contain(issuer);
      }
      const oldCaOnly = join(env.home, 'old-ca.crt');
      writeFileSync(oldCaOnly, oldCaPem);
      const refused = await hubAsync(['verify', after, '--ca', oldCaOnly], cliEnv(env));
      expect(refused.status, 'not verifiable with the old CA alone').to.not.equal(0);
      expect(`${refused.stdout}${refused.stderr}`).to.contain('chain-invalid');

      const list = await hubAsync(['pki', 'list', '--json'], cliEnv(env));
      const rows = JSON.parse(list.stdout) as { subject: string; status: string; reissue?: boolean }[];
      expect(rows.map((r) => [r.subject, r.status, r.reissue ?? false])).to.deep.equal([
        ['CA', 'ca', false],
        ['CA (previous)', 'previous', false],
        ['HUB', 'current', false],
        ['HUB', 'previous', false],
        ['KG', 'current', true],
        ['KZ', 'current', false],
        ['KZ', 'previous', false],
      ]);
    } finally {
      reader.close();
    }
  });
});
