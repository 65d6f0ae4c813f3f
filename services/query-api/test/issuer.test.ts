import { expect } from 'chai';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';
import { tokenLapse, verifyToken } from '../src/auth';
import {
  AUDIENCE,
  followKeyRing,
  ISSUER,
  jwks,
  loadKeyRing,
  mintToken,
  type KeyRing,
  type SigningKey,
} from '../src/issuer';

const request = {
  sub: 'analyst-KZ',
  role: 'analyst',
  country: 'KZ',
  clearance: 'GREEN',
  ttlSeconds: 600,
} as const;

/** A token signed by `key`. */
const tokenOf = (key: SigningKey) => mintToken({ current: key, byKid: new Map([[key.kid, key]]) }, request);

/** Whether `ring` takes `token`, or the error code it refuses it with. */
function verdict(ring: KeyRing, token: string): string {
  try {
    verifyToken(ring, token);
    return 'verified';
  } catch (err) {
    return (err as { code: string }).code;
  }
}

describe('token signing keys: the query API follows the key folder', () => {
  let dir = '';
  let now = 0;
  const clock = () => now;
  /** The key `rotate` adds to the folder (the newest, which signs from then on). */
  const rotate = (): SigningKey => {
    const before = new Set(loadKeyRing(dir).byKid.keys());
    return [...loadKeyRing(dir, { rotate: true }).byKid.values()].find((k) => !before.has(k.kid))!;
  };
  const remove = (key: SigningKey) => unlinkSync(join(dir, `jwt-${key.kid}.key`));

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hub-keys-'));
    now = 1_000_000;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('stops verifying a removed key within a minute, and verifies a new one once a token names it', () => {
    const ring = followKeyRing(dir, { clock });
    const old = ring.current;
    const added = rotate();
    // The folder was read a moment ago: a token naming a key not held does not make it read again yet.
    now += 1000;
    expect(verdict(ring, tokenOf(added))).to.equal('TOKEN_INVALID');
    expect(verdict(ring, tokenOf(old))).to.equal('verified');
    // Five seconds on, it does: the new key verifies.
    now += 5000;
    expect(verdict(ring, tokenOf(added))).to.equal('verified');
    // The old key removed is held until a minute after that read, and no longer.
    remove(old);
    now += 59_000;
    expect(verdict(ring, tokenOf(old))).to.equal('verified');
    now += 1000;
    expect(verdict(ring, tokenOf(old))).to.equal('TOKEN_INVALID');
    expect(verdict(ring, tokenOf(added))).to.equal('verified');
    expect(jwks(ring).keys.map((k) => k.kid)).to.deep.equal([added.kid]);
  });

  it('says when an accepted token lapses (past its exp and the skew, or its key removed), as a feed stream asks', () => {
    const ring = followKeyRing(dir, { clock });
    const key = ring.current;
    const token = tokenOf(key);
    const caller = verifyToken(ring, token, now);
    const exp = (jwt.decode(token) as { exp: number }).exp;
    expect(caller).to.include({ kid: key.kid, expiresAt: (exp + 30) * 1000 });
    expect(tokenLapse(ring, caller, now)).to.equal(undefined);
    // Expired: not yet within the 30 s the verification takes, then so.
    expect(tokenLapse(ring, caller, (exp + 29) * 1000)).to.equal(undefined);
    const expired = tokenLapse(ring, caller, (exp + 30) * 1000);
    expect(expired?.code).to.equal('TOKEN_EXPIRED');
    expect(expired?.message).to.include(`expired at ${new Date(exp * 1000).toISOString()}`);
    // Its key removed from the folder: lapsed once the ring has read the folder again (within a minute).
    rotate();
    remove(key);
    now += 61_000;
    const withdrawn = tokenLapse(ring, caller, now);
    expect(withdrawn?.code).to.equal('TOKEN_INVALID');
    expect(withdrawn?.message).to.include(
      `the key "${key.kid}" that signed the bearer token has been withdrawn`,
    );
  });

  it('reads the folder again for tokens naming keys it does not hold at most every five seconds', () => {
    const ring = followKeyRing(dir, { clock });
    const madeUp = (kid: string) =>
      jwt.sign({ role: 'analyst', country: 'KZ', clearance: 'GREEN' }, ring.current.privateKey, {
        algorithm: 'ES256',
        keyid: kid,
        issuer: ISSUER,
        audience: AUDIENCE,
        subject: 'x',
        expiresIn: 600,
      });
    now += 10_000;
    expect(verdict(ring, madeUp('madeup1'))).to.equal('TOKEN_INVALID'); // read again: none such
    const added = rotate();
    for (let i = 0; i < 4; i++) {
      now += 1000;
      expect(verdict(ring, madeUp(`madeup${i + 2}`)), `${i + 1} s on`).to.equal('TOKEN_INVALID');
      expect(verdict(ring, tokenOf(added)), `${i + 1} s on`).to.equal('TOKEN_INVALID'); // not read again
    }
    now += 1000;
    expect(verdict(ring, tokenOf(added))).to.equal('verified');
  });

  it('reads the folder again when the clock was set back', () => {
    const ring = followKeyRing(dir, { clock });
    const old = ring.current;
    rotate();
    remove(old);
    now -= 3_600_000;
    expect(verdict(ring, tokenOf(old))).to.equal('TOKEN_INVALID');
  });

  it('keeps the keys still on disk, less those removed, when the folder cannot be read whole', () => {
    const errors: unknown[] = [];
    const first = loadKeyRing(dir).current;
    const second = rotate();
    const ring = followKeyRing(dir, { clock, onError: (err) => errors.push(err) });
    remove(first);
    // A key file cut short while written: the first part of a key made here.
    const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    });
    writeFileSync(join(dir, 'jwt-halfwritten.key'), String(pem).slice(0, 40));
    now += 60_000;
    expect(verdict(ring, tokenOf(first))).to.equal('TOKEN_INVALID');
    expect(verdict(ring, tokenOf(second))).to.equal('verified');
    expect(errors).to.have.length(1);
  });

  it('reads a folder once when it is not followed (the token command)', () => {
    const ring = loadKeyRing(dir);
    remove(ring.current);
    now += 3_600_000;
    expect(verdict(ring, tokenOf(ring.current))).to.equal('verified');
  });
});
