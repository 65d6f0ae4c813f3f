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

const LINGER_MS = Number(process.env.HUB_TEST_LINGER_MS || 15000);

// A pipe left open is most often a child process's stdout or stderr, held by a process the child started (a broker,
// a browser): each child's pipes are tagged with its command line, so that the report names it.
const childProcess = require('node:child_process');
const spawnChild = childProcess.ChildProcess.prototype.spawn;
childProcess.ChildProcess.prototype.spawn = function (options) {
  const result = spawnChild.call(this, options);
  const command = ((options && options.args) || []).join(' ').slice(0, 160);
  for (const stream of this.stdio || []) if (stream) stream.hubSpawnedBy = `${this.pid} ${command}`;
  return result;
};

// Timers are named only by their kind ("Timeout"); with HUB_TEST_TRACE_TIMERS=1 each one made with the global
// setTimeout or setInterval keeps where it was made, and those still pending are named by that (it costs a stack
// trace per timer, so it is off by default).
const pendingTimers = new Map();
if (process.env.HUB_TEST_TRACE_TIMERS === '1') {
  const where = () =>
    (new Error().stack || '')
      .split('\n')
      .slice(3)
      .find((l) => !l.includes('node:internal') && !l.includes('reporter.cjs'))
      ?.trim() || 'unknown';
  for (const [make, clear, once] of [
    ['setTimeout', 'clearTimeout', true],
    ['setInterval', 'clearInterval', false],
  ]) {
    const made = global[make];
    const cleared = global[clear];
    global[make] = function (fn, ...rest) {
      let timer;
      const run =
        typeof fn === 'function' && once
          ? function (...args) {
              pendingTimers.delete(timer);
              return fn.apply(this, args);
            }
          : fn;
      timer = made.call(this, run, ...rest);
      pendingTimers.set(timer, where());
      return timer;
    };
    global[clear] = function (timer) {
      pendingTimers.delete(timer);
      return cleared.call(this, timer);
    };
  }
}

function describeTimers() {
  const held = [...pendingTimers].filter(([t]) => typeof t.hasRef !== 'function' || t.hasRef());
  if (!process.env.HUB_TEST_TRACE_TIMERS)
    return ' (HUB_TEST_TRACE_TIMERS=1 names where their timers were made)';
  return held.length ? `; timers made ${held.map(([, w]) => w).join('; ')}` : '';
}

function describeHandle(h) {
  if (h === process.stdout) return 'stdout';
  if (h === process.stderr) return 'stderr';
  const name = (h && h.constructor && h.constructor.name) || typeof h;
  if (name === 'Socket' && h.remotePort) return `Socket to ${h.remoteAddress}:${h.remotePort}`;
  if (name === 'Socket' && h.hubSpawnedBy) return `Socket: a pipe of child ${h.hubSpawnedBy}`;
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
            `${process.getActiveResourcesInfo().join(', ')}${held.length ? ` (${held.join('; ')})` : ''}` +
            `${process.getActiveResourcesInfo().includes('Timeout') ? describeTimers() : ''}. ` +
            "Ending it with the suite's result; a test left these open.\n",
        );
        process.exit(Math.min(failures, 255));
      }, LINGER_MS).unref();
    });
  }
}
module.exports = HubReporter;
