// Unit tier: `hub pki revoke <CC>` run as an operator runs it, with the brokers out of reach (a closed port): every
// certificate of the country is recorded as revoked, the command says it did not publish and exits 1 (no stack
// trace), and running it again publishes the same revocations. Only this PKI's files and a closed port: no broker.
import { expect } from 'chai';
import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSigner, createVerifier } from '@hub/envelope';
import { PkiStore, type Revocation } from '@hub/pki';
import { hubAsync } from '../support/cli';

/** A free port on this machine with nothing listening: brokers that cannot be reached. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** What a verifier holding this PKI's trust store says of an envelope signed with `issued`'s key. */
function verdict(pki: PkiStore, issued: { privateKeyPem: string; certificatePem: string }, origin: string) {
  const signer = createSigner({
    privateKey: createPrivateKey(issued.privateKeyPem),
    certificate: issued.certificatePem,
    origin,
  });
  const envelope = signer.signEncoded({
    messageType: 'SeizureReport',
    schemaFingerprint: Buffer.alloc(8),
    payload: Buffer.from('a report'),
  });
  const result = createVerifier({ trust: pki.trustStore() }).verify(envelope.bytes, {
    expectedCountry: origin,
  });
  return result.ok ? 'accepted' : result.reason;
}

describe('hub pki revoke <CC> with the brokers out of reach', function () {
  this.timeout(60000);
  let dir: string;
  let pki: PkiStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hub-pki-revoke-cli-'));
    pki = new PkiStore(join(dir, 'pki'));
    pki.initCa({ bits: 2048 });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('records both of KZ with the brokers out of reach, says they are not published, and a verifier refuses the first key', async () => {
    const first = pki.issue({ country: 'KZ', agency: 'KZ customs' }); // its key stolen, later
    const renewed = pki.issue({ country: 'KZ', agency: 'KZ customs' }); // a routine renewal
    expect(verdict(pki, first, 'KZ')).to.equal('accepted');
    const port = await closedPort();
    const env = {
      ...process.env,
      HUB_HOME: dir,
      HUB_KAFKA_BROKERS: `127.0.0.1:${port}`,
      HUB_MONGO_URL: 'mongodb://127.0.0.1:1/',
    };
    const started = Date.now();
    const run = await hubAsync(['pki', 'revoke', 'KZ', '--reason', 'key compromised'], env);
    expect(Date.now() - started, 'a few seconds of retries, not kafkajs’ 30').to.be.below(15000);
    expect(run.status, run.stderr).to.equal(1);
    expect(run.stderr).not.to.include('unexpected error');
    expect(run.stderr).to.include(
      `NOT published on hub.pki (brokers 127.0.0.1:${port} unreachable): verifiers still accept them; run this command again when the brokers are reachable`,
    );
    for (const c of [first, renewed]) expect(run.stderr).to.include(`revoking ${c.fingerprint} (KZ, `);
    const recorded = JSON.parse(readFileSync(join(dir, 'pki', 'revocations.json'), 'utf8')) as Revocation[];
    expect(recorded.map((r) => r.fingerprint).sort()).to.deep.equal(
      [first.fingerprint, renewed.fingerprint].sort(),
    );
    expect(recorded.every((r) => r.reason === 'key compromised')).to.equal(true);
    expect(verdict(pki, first, 'KZ')).to.equal('revoked');
    expect(verdict(pki, renewed, 'KZ')).to.equal('revoked');

    // Run again: the same revocations, published again (here: still not), their time unchanged.
    const again = await hubAsync(['pki', 'revoke', 'KZ'], env);
    expect(again.status, again.stderr).to.equal(1);
    expect(again.stderr).to.include('was revoked already');
    expect(again.stderr).to.include('NOT published on hub.pki');
    expect(JSON.parse(readFileSync(join(dir, 'pki', 'revocations.json'), 'utf8'))).to.deep.equal(recorded);
  });
});
