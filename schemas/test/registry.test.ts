import { expect } from 'chai';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HubError, ValidationError } from '@hub/errors';
import { seizureReportFromJson } from '@hub/domain';
import { repoRoot } from '@hub/config';
import { loadSchemaRegistry } from '../src/registry';

const registry = loadSchemaRegistry();
const minimal = JSON.parse(readFileSync(join(repoRoot, 'docs', 'examples', 'minimal-report.json'), 'utf8'));
const report = () =>
  seizureReportFromJson(minimal, {
    nodeCountry: 'KZ',
    now: Date.now(),
    versionOf: () => 1,
    regions: new Set(['central-asia']),
  }).value;

describe('schema registry', () => {
  it('holds every message type of the design', () => {
    expect(registry.names()).to.include.members([
      'SeizureReport',
      'SeizureRetraction',
      'Receipt',
      'Envelope',
      'CertificateNotice',
      'QuarantineRecord',
    ]);
  });

  it('round-trips a seizure report and addresses its schema by Rabin fingerprint', () => {
    const value = report();
    const { payload, fingerprint, version } = registry.encode('SeizureReport', value);
    expect(version).to.equal(registry.latest('SeizureReport').version);
    expect(registry.byFingerprint(fingerprint)?.name).to.equal('SeizureReport');
    expect(JSON.stringify(registry.decode(fingerprint, payload))).to.equal(JSON.stringify(value));
  });

  it('names the failing field path when a value does not fit the schema', () => {
    const bad = { ...report(), drugs: [{ ...report().drugs[0], quantity: 'twelve' }] };
    try {
      registry.encode('SeizureReport', bad);
      expect.fail('encode accepted an invalid value');
    } catch (err) {
      expect(err).to.be.instanceOf(ValidationError);
      expect((err as ValidationError).errors.map((e) => e.field)).to.include('drugs.0.quantity');
    }
  });

  it('refuses an unknown fingerprint with UNKNOWN_SCHEMA', () => {
    expect(() => registry.decode(Buffer.alloc(8, 7), Buffer.from([0])))
      .to.throw(HubError)
      .with.property('code', 'UNKNOWN_SCHEMA');
  });

  it('never throws anything but a HubError on random, truncated or oversized payloads (20,000 cases)', function () {
    this.timeout(60000);
    const { payload, fingerprint } = registry.encode('SeizureReport', report());
    const fps = registry.names().map((n) => registry.latest(n).fingerprint);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 600 }),
          fc.integer({ min: 0, max: payload.length }).map((n) => payload.subarray(0, n)),
          fc
            .tuple(fc.integer({ min: 0, max: payload.length - 1 }), fc.integer({ min: 0, max: 255 }))
            .map(([i, b]) => {
              const copy = Buffer.from(payload);
              copy[i] = b;
              return copy;
            }),
        ),
        fc.constantFrom(fingerprint, ...fps),
        (bytes, fp) => {
          try {
            registry.decode(fp, Buffer.from(bytes));
          } catch (err) {
            if (!(err instanceof HubError)) throw err;
            expect(['MALFORMED_PAYLOAD', 'UNKNOWN_SCHEMA']).to.include(err.code);
          }
        },
      ),
      { numRuns: 20000 },
    );
  });

  it('refuses a forged block count instead of looping over it (a billion receipt reasons in 20 bytes)', () => {
    const zigzag = (n: number) => {
      const out: number[] = [];
      let v = BigInt(n) << 1n;
      while (v > 0x7fn) {
        out.push(Number((v & 0x7fn) | 0x80n));
        v >>= 7n;
      }
      out.push(Number(v));
      return out;
    };
    const str = (x: string) => [...zigzag(x.length), ...Buffer.from(x)];
    const forged = Buffer.from([...str('a'), ...str('b'), ...str('c'), 0, 0, 0, ...zigzag(1_000_000_000)]);
    expect(() => registry.decode(registry.latest('Receipt').fingerprint, forged))
      .to.throw(HubError)
      .with.property('code', 'MALFORMED_PAYLOAD');
  });

  it('refuses a payload larger than the limit before decoding it', () => {
    const { fingerprint } = registry.encode('SeizureReport', report());
    expect(() => registry.decode(fingerprint, Buffer.alloc(2 * 1024 * 1024)))
      .to.throw(HubError)
      .with.property('code', 'MALFORMED_PAYLOAD');
  });
});
