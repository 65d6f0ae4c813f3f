// Fetching the broker's jars: Maven is asked for strict checksums, so a corrupt download fails provisioning instead
// of being cached for good behind the `.complete` marker (Maven's default only warns, which -q hides). A stand-in
// `mvn` on PATH records its arguments; nothing is downloaded.
import { expect } from 'chai';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HubError } from '@hub/errors';
import { ensureKafkaJars, kafkaLayout } from '../../scripts/src/stack/kafka';

const quiet = () => undefined;

describe('local stack: fetching the Kafka jars', function () {
  this.timeout(30000);
  let dir: string;
  let argsFile: string;
  let path: string | undefined;

  /** A stand-in `mvn`: answers -version, records its arguments, and then fails or leaves a kafka jar. */
  function standInMaven(outcome: 'jars' | 'checksum-failure'): void {
    const bin = join(dir, 'bin');
    const script = join(bin, 'mvn');
    writeFileSync(
      script,
      [
        '#!/bin/sh',
        'case "$1" in -version|--version) echo "Apache Maven 3.8.7 (stand-in)"; exit 0;; esac',
        `printf '%s\\n' "$@" > '${argsFile}'`,
        outcome === 'checksum-failure'
          ? 'echo "[ERROR] Checksum validation failed, expected 1234 but is abcd" >&2; exit 1'
          : 'for a in "$@"; do case "$a" in -DoutputDirectory=*) d="${a#-DoutputDirectory=}"; mkdir -p "$d"; : > "$d/kafka_2.13-4.1.0.jar";; esac; done',
        '',
      ].join('\n'),
    );
    chmodSync(script, 0o755);
    process.env.PATH = `${bin}:${path}`;
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hub-jars-'));
    mkdirSync(join(dir, 'bin'));
    argsFile = join(dir, 'mvn-args');
    path = process.env.PATH;
  });
  afterEach(() => {
    process.env.PATH = path;
    rmSync(dir, { recursive: true, force: true });
  });

  const layout = () => kafkaLayout(join(dir, 'cache'), join(dir, 'home'), '4.1.0');

  it('asks Maven for strict checksums', async () => {
    standInMaven('jars');
    await ensureKafkaJars(layout(), '4.1.0', join(dir, 'cache'), quiet);
    const args = readFileSync(argsFile, 'utf8').trim().split('\n');
    expect(
      args.some((a) => a === '-C' || a === '--strict-checksums'),
      args.join(' '),
    ).to.equal(true);
    expect(args).not.to.include('-c'); // --lax-checksums
    expect(existsSync(join(layout().libs, '.complete'))).to.equal(true);
  });

  it('caches nothing when a checksum does not match, so that the next run fetches again', async () => {
    standInMaven('checksum-failure');
    const err = await ensureKafkaJars(layout(), '4.1.0', join(dir, 'cache'), quiet).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(HubError);
    expect((err as HubError).message).to.contain('Checksum validation failed');
    expect(existsSync(join(layout().libs, '.complete'))).to.equal(false);
  });
});
