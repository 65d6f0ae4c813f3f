// The PKI on disk under $HUB_HOME/pki: ca/ (ca/previous/ holds the CAs a rollover replaced), nodes/<CC>/, coordinator/,
// clients/, servers/, revocations.json. Keys 0600, folders 0700.
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { HubError } from '@hub/errors';
import { HUB_ORIGIN } from '@hub/envelope';
import {
  createCa,
  issueCertificate,
  type CaMaterial,
  type IssuedCertificate,
  type NodeCertificateOptions,
} from './ca';
import { issueClientCertificate, SYSTEM_NAME, type ClientCertificateOptions } from './client-certificate';
import { issueServerCertificate, type ServerCertificateOptions } from './server-certificate';
import {
  createTrustStore,
  fingerprintOf,
  replacesRevocation,
  type Revocation,
  type TrustStore,
} from './trust-store';

export interface NodeIdentity {
  origin: string;
  certificatePem: string;
  privateKey: KeyObject;
  fingerprint: string;
}

function writeSecret(path: string, data: string): void {
  writeFileSync(path, data, { mode: 0o600 });
  chmodSync(path, 0o600);
}

function ensureDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
}

export class PkiStore {
  constructor(readonly dir: string) {}

  /** The folder of a node's key and certificates (nodes/<CC>), or the coordinator's (coordinator/). */
  identityDir(origin: string): string {
    return origin === HUB_ORIGIN ? join(this.dir, 'coordinator') : join(this.dir, 'nodes', origin);
  }

  get caCertPath(): string {
    return join(this.dir, 'ca', 'ca.crt');
  }

  hasCa(): boolean {
    return existsSync(this.caCertPath);
  }

  /** Create the hub CA unless it exists. Returns true when it was created. */
  initCa(options: { commonName?: string; bits?: number } = {}): boolean {
    if (this.hasCa()) return false;
    ensureDir(join(this.dir, 'ca'));
    const ca = createCa(options);
    writeSecret(join(this.dir, 'ca', 'ca.key'), ca.keyPem);
    writeFileSync(this.caCertPath, ca.certPem);
    return true;
  }

  /** The current hub CA's certificate (ca/ca.crt): the one that issues. */
  currentCaPem(): string {
    if (!this.hasCa())
      throw new HubError('PKI_MISSING', `no hub CA at ${this.caCertPath}; run 'hub pki init' first`);
    return readFileSync(this.caCertPath, 'utf8');
  }

  /** The certificates of the CAs that `rolloverCa` replaced (ca/previous/), oldest first. */
  previousCaPems(): string[] {
    const dir = join(this.dir, 'ca', 'previous');
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((f) => f.endsWith('.crt'))
      .map((f) => readFileSync(join(dir, f), 'utf8'))
      .sort(
        (a, b) => Date.parse(new X509Certificate(a).validFrom) - Date.parse(new X509Certificate(b).validFrom),
      );
  }

  /**
   * Every hub CA to trust, as one PEM bundle: the current one first, then those it replaced, whose certificates stay
   * valid until they expire (and whose signatures stay verifiable for good).
   */
  caCertPem(): string {
    return [this.currentCaPem(), ...this.previousCaPems()].map((p) => `${p.trim()}\n`).join('');
  }

  ca(): CaMaterial {
    const keyPath = join(this.dir, 'ca', 'ca.key');
    if (!existsSync(keyPath))
      throw new HubError(
        'PKI_MISSING',
        `the CA key is not at ${keyPath}; issue certificates where the CA key is kept`,
      );
    return { certPem: this.currentCaPem(), keyPem: readFileSync(keyPath, 'utf8') };
  }

  /**
   * Replace the current CA with a new one (a new key). The old certificate and key move to
   * ca/previous/<fingerprint prefix>.crt and .key: the old CA stays trusted, so what it issued stays valid until it
   * expires, while every certificate issued from now on comes from the new one. `publish` (the new CA's notice on
   * hub.pki) runs before anything on disk changes: when it fails, the CA stays as it was and the command can be run
   * again. Returns both.
   */
  async rolloverCa(
    options: { commonName?: string; bits?: number; validityYears?: number } = {},
    publish: (previous: CaMaterial, current: CaMaterial) => Promise<void> = async () => undefined,
  ): Promise<{ previous: CaMaterial; current: CaMaterial }> {
    const previous = this.ca();
    // A name of its own (the old one's stays on what it issued), though chains are told apart by key identifiers.
    const current = createCa({
      ...options,
      commonName:
        options.commonName ?? `Seizure Exchange Hub Root CA ${new Date().toISOString().slice(0, 10)}`,
    });
    await publish(previous, current);
    const dir = join(this.dir, 'ca', 'previous');
    ensureDir(dir);
    const name = fingerprintOf(new X509Certificate(previous.certPem)).slice(0, 16);
    writeFileSync(join(dir, `${name}.crt`), previous.certPem);
    writeSecret(join(dir, `${name}.key`), previous.keyPem);
    // Written beside the old pair, then moved over it: a reader finds the old file or the new, never half of one.
    writeSecret(join(this.dir, 'ca', 'ca.key.new'), current.keyPem);
    writeFileSync(join(this.dir, 'ca', 'ca.crt.new'), current.certPem);
    renameSync(join(this.dir, 'ca', 'ca.key.new'), join(this.dir, 'ca', 'ca.key'));
    renameSync(join(this.dir, 'ca', 'ca.crt.new'), this.caCertPath);
    return { previous, current };
  }

  /**
   * Issue a certificate for a node (or the coordinator, origin HUB). The previous one stays on disk as
   * node-<fingerprint>.crt and remains valid until it expires, so renewal overlaps.
   */
  issue(options: NodeCertificateOptions): IssuedCertificate {
    const issued = issueCertificate(this.ca(), options);
    const dir = this.identityDir(options.country);
    ensureDir(dir);
    const current = join(dir, 'node.crt');
    if (existsSync(current)) {
      const old = new X509Certificate(readFileSync(current, 'utf8'));
      writeFileSync(join(dir, `node-${fingerprintOf(old).slice(0, 16)}.crt`), old.toString());
    }
    writeSecret(join(dir, 'node.key'), issued.privateKeyPem);
    writeFileSync(current, issued.certificatePem);
    return issued;
  }

  /**
   * A TLS client certificate for an agency's system that sends to the node of `country`, in
   * clients/<CC>/<system>.crt and .key (0600): to be handed to that system's operators.
   */
  issueClient(options: ClientCertificateOptions): IssuedCertificate & {
    certFile: string;
    keyFile: string;
    /** The system's certificate before this one: kept beside it as <system>-<fingerprint>.crt, valid until revoked. */
    previous?: { fingerprint: string; notAfter: Date; certFile: string };
  } {
    const issued = issueClientCertificate(this.ca(), options);
    const dir = join(this.dir, 'clients', options.country);
    ensureDir(dir);
    const certFile = join(dir, `${options.system}.crt`);
    const keyFile = join(dir, `${options.system}.key`);
    let previous: { fingerprint: string; notAfter: Date; certFile: string } | undefined;
    if (existsSync(certFile)) {
      const old = new X509Certificate(readFileSync(certFile, 'utf8'));
      const fingerprint = fingerprintOf(old);
      previous = {
        fingerprint,
        notAfter: new Date(old.validTo),
        certFile: join(dir, `${options.system}-${fingerprint.slice(0, 16)}.crt`),
      };
      writeFileSync(previous.certFile, old.toString());
    }
    writeSecret(keyFile, issued.privateKeyPem);
    writeFileSync(certFile, issued.certificatePem);
    return { ...issued, certFile, keyFile, ...(previous && { previous }) };
  }

  /** A TLS server certificate (a national node's API), in servers/<name>.crt and .key (0600). */
  issueServer(
    name: string,
    options: Omit<ServerCertificateOptions, 'role'>,
  ): IssuedCertificate & { certFile: string; keyFile: string } {
    if (!SYSTEM_NAME.test(name))
      throw new HubError(
        'PKI_INVALID',
        `a server's name is 1-64 letters, digits, '.', '-' or '_'; got ${JSON.stringify(name)}`,
      );
    const issued = issueServerCertificate(this.ca(), { ...options, role: 'node-api' });
    const dir = join(this.dir, 'servers');
    ensureDir(dir);
    const certFile = join(dir, `${name}.crt`);
    const keyFile = join(dir, `${name}.key`);
    writeSecret(keyFile, issued.privateKeyPem);
    writeFileSync(certFile, issued.certificatePem);
    return { ...issued, certFile, keyFile };
  }

  hasIdentity(origin: string): boolean {
    return (
      existsSync(join(this.identityDir(origin), 'node.crt')) &&
      existsSync(join(this.identityDir(origin), 'node.key'))
    );
  }

  /** The current key and certificate of a node or of the coordinator. */
  identity(origin: string): NodeIdentity {
    const dir = this.identityDir(origin);
    if (!this.hasIdentity(origin)) {
      throw new HubError(
        'PKI_MISSING',
        `no certificate for ${origin} in ${dir}; run 'hub pki issue ${origin}'`,
      );
    }
    const certificatePem = readFileSync(join(dir, 'node.crt'), 'utf8');
    return {
      origin,
      certificatePem,
      privateKey: createPrivateKey(readFileSync(join(dir, 'node.key'), 'utf8')),
      fingerprint: fingerprintOf(new X509Certificate(certificatePem)),
    };
  }

  /** Every certificate on disk, with whom it names and whether it is the current one of its node (node.crt). */
  certificatesOnDisk(): { origin: string; pem: string; current: boolean }[] {
    const out: { origin: string; pem: string; current: boolean }[] = [];
    const origins = [
      HUB_ORIGIN,
      ...(existsSync(join(this.dir, 'nodes')) ? readdirSync(join(this.dir, 'nodes')) : []),
    ];
    for (const origin of origins) {
      const d = this.identityDir(origin);
      if (!existsSync(d)) continue;
      for (const f of readdirSync(d).sort())
        if (f.endsWith('.crt'))
          out.push({ origin, pem: readFileSync(join(d, f), 'utf8'), current: f === 'node.crt' });
    }
    return out;
  }

  /**
   * The TLS certificates issued here for agency systems (`<CC>/<system>`) and servers (`server <name>`): not
   * signers, so not in a trust store, but listed with the rest for their expiry.
   */
  tlsCertificatesOnDisk(): { subject: string; pem: string }[] {
    const out: { subject: string; pem: string }[] = [];
    const clients = join(this.dir, 'clients');
    for (const cc of existsSync(clients) ? readdirSync(clients).sort() : [])
      for (const f of readdirSync(join(clients, cc)).sort())
        if (f.endsWith('.crt'))
          out.push({ subject: `${cc}/${f.slice(0, -4)}`, pem: readFileSync(join(clients, cc, f), 'utf8') });
    const servers = join(this.dir, 'servers');
    for (const f of existsSync(servers) ? readdirSync(servers).sort() : [])
      if (f.endsWith('.crt'))
        out.push({ subject: `server ${f.slice(0, -4)}`, pem: readFileSync(join(servers, f), 'utf8') });
    return out;
  }

  /** Every certificate on disk (current and previous), for seeding a trust store. */
  allCertificates(): string[] {
    return this.certificatesOnDisk().map((c) => c.pem);
  }

  revocations(): Revocation[] {
    const path = join(this.dir, 'revocations.json');
    return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Revocation[]) : [];
  }

  /** The revocation recorded for a fingerprint, if any. */
  revocationOf(fingerprint: string): Revocation | undefined {
    return this.revocations().find((r) => r.fingerprint === fingerprint);
  }

  /**
   * Record a revocation; returns the one that stands. A certificate revoked already keeps its earliest revocation
   * (time and reason: replacesRevocation).
   */
  addRevocation(revocation: Revocation): Revocation {
    const all = this.revocations();
    const held = all.find((r) => r.fingerprint === revocation.fingerprint);
    if (held && !replacesRevocation(held, revocation)) return held;
    const list = all.filter((r) => r.fingerprint !== revocation.fingerprint);
    writeFileSync(join(this.dir, 'revocations.json'), JSON.stringify([...list, revocation], null, 2));
    return revocation;
  }

  /** A trust store with the CA, every certificate on disk and the local revocation list. */
  trustStore(): TrustStore {
    const store = createTrustStore(this.caCertPem());
    for (const pem of this.allCertificates()) store.add(pem);
    for (const r of this.revocations()) store.revoke(r);
    return store;
  }
}
