// `hub start` makes the hub CA and the demo nodes' certificates under a lock in HUB_HOME: two starts at once on a
// fresh clone both found no CA and each made one, and the node certificates of the first chained to a CA that ca.crt
// no longer held. A stand-in for `hub pki` that, like the real one, checks for the CA, takes a while to make one, and
// issues from whichever is there; the second start comes while the first is making its CA.
import { expect } from 'chai';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDemoPki } from '../../scripts/src/cli/commands/start';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('hub start: the PKI of two starts at once', function () {
  this.timeout(20000);
  let home: string;
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'hub-start-pki-'));
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  /** A stand-in `hub pki init|issue CC --if-missing` on files under `home`: a CA is an id, a certificate names its CA. */
  function standInPki(name: string) {
    const pki = join(home, 'pki');
    const ca = join(pki, 'ca.crt');
    return async (args: string[]) => {
      const [, verb, cc] = args;
      if (verb === 'init') {
        if (existsSync(ca)) return;
        await sleep(400); // the key being generated
        mkdirSync(pki, { recursive: true });
        writeFileSync(ca, `ca of ${name}`);
      } else if (verb === 'issue') {
        const cert = join(pki, `${cc}.crt`);
        if (!existsSync(cert)) writeFileSync(cert, readFileSync(ca, 'utf8'));
      }
    };
  }

  it('has the second start wait for the first, then find its CA: every node certificate chains to ca.crt', async () => {
    const said: string[] = [];
    const first = ensureDemoPki(home, ['KZ', 'KG'], () => undefined, standInPki('first'));
    await sleep(100);
    const second = ensureDemoPki(home, ['KZ', 'KG', 'TJ'], (l) => said.push(l), standInPki('second'));
    await Promise.all([first, second]);
    const ca = readFileSync(join(home, 'pki', 'ca.crt'), 'utf8');
    expect(ca).to.equal('ca of first');
    for (const cc of ['KZ', 'KG', 'TJ'])
      expect(readFileSync(join(home, 'pki', `${cc}.crt`), 'utf8'), cc).to.equal(ca);
    expect(said.join('\n')).to.contain('making the hub CA and node certificates');
    expect(said.join('\n')).to.contain(join(home, 'run', 'pki.lock'));
    expect(existsSync(join(home, 'run', 'pki.lock'))).to.equal(false);
  });

  it('names the lock and HUB_HOME when HUB_HOME cannot hold it', async () => {
    writeFileSync(join(home, 'run'), '');
    const err = await ensureDemoPki(home, ['KZ'], () => undefined, standInPki('only')).then(
      () => undefined,
      (e: unknown) => e as { code: string; message: string },
    );
    expect(err?.code).to.equal('LOCK_FAILED');
    expect(err?.message).to.contain(join(home, 'run', 'pki.lock'));
    expect(err?.message).to.contain('choose another folder with HUB_HOME');
  });
});
