// The ports tests give their own servers: distinct within one call and across calls, since a test may choose its
// ports long before its servers bind them (a broker once got its client and controller listeners on one port).
import { expect } from 'chai';
import { createServer } from 'node:net';
import { claimPort, freePort, freePorts, handedOutBefore } from '../support/servers';

describe('test support: free ports', () => {
  it('hands out distinct ports within a call and never one it handed out before', async () => {
    const first = await freePorts(40);
    const second = await freePorts(40);
    const one = await freePort();
    const all = [...first, ...second, one];
    expect(new Set(all).size).to.equal(all.length);
    for (const p of all) expect(await claimPort(p)).to.equal(false, `port ${p} handed out twice`);
  });

  it('claims a port only when it is free', async () => {
    // A port the system gives that this process has not handed out already (it may give one freePorts held before).
    let s = createServer();
    for (;;) {
      await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
      if (!handedOutBefore((s.address() as { port: number }).port)) break;
      const taken = s;
      s = createServer();
      await new Promise<void>((resolve) => taken.close(() => resolve()));
    }
    const bound = (s.address() as { port: number }).port;
    try {
      expect(await claimPort(bound)).to.equal(false);
    } finally {
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
    expect(await claimPort(bound)).to.equal(true);
    expect(await claimPort(bound)).to.equal(false);
  });
});
