// Mocha's spec reporter plus the plain closing line CI reads: "N passed, N failed".
//
// Mocha then waits for the event loop to drain. A handle that a test forgot (a client still retrying a broker that
// is gone, a timer) would hold the run open until CI's deadline with every test already green, and say nothing. So
// if the process still lives LINGER_MS after the last test, the reporter names what holds it and ends the run with
// the suite's own result.
'use strict';
const { setTimeout } = require('node:timers');
const Mocha = require('mocha');
const { Spec } = Mocha.reporters;
const { EVENT_RUN_END } = Mocha.Runner.constants;

const LINGER_MS = Number(process.env.HUB_TEST_LINGER_MS || 30000);

function describeHandle(h) {
  const name = (h && h.constructor && h.constructor.name) || typeof h;
  if (name === 'Socket' && h.remotePort) return `Socket to ${h.remoteAddress}:${h.remotePort}`;
  if (name === 'ChildProcess')
    return `ChildProcess ${h.pid} (${(h.spawnargs || []).join(' ').slice(0, 160)})`;
  if (name === 'Server' && typeof h.address === 'function') return `Server ${JSON.stringify(h.address())}`;
  return name;
}

class HubReporter extends Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(EVENT_RUN_END, () => {
      const s = runner.stats;
      const skipped = s.pending ? `, ${s.pending} skipped` : '';
      process.stdout.write(`\n${s.passes} passed, ${s.failures} failed${skipped}\n`);
      const failures = s.failures;
      setTimeout(() => {
        const held = process._getActiveHandles().map(describeHandle);
        process.stdout.write(
          `\n[test] the suite ended ${LINGER_MS / 1000} s ago but the process is still held by: ` +
            `${process.getActiveResourcesInfo().join(', ')}${held.length ? ` (${held.join('; ')})` : ''}. ` +
            "Ending it with the suite's result; a test left these open.\n",
        );
        process.exit(Math.min(failures, 255));
      }, LINGER_MS).unref();
    });
  }
}
module.exports = HubReporter;
