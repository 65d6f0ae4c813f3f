// `hub test`: the whole suite against the real local stack (started when needed; afterwards, what this run started
// is stopped again).
import { HubError } from '@hub/errors';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { loadConfig, repoRoot, type HubConfig } from '@hub/config';
import type { Command } from '../command';
import { say } from '../command';
import { wholeNumber } from '../../run/whole-number';
import { ensureChromium } from '../../stack/browser';
import { stackDown, stackUp, type Launched, type Say } from '../../stack/stack';
import { probeKafka, probeMongo } from '../../stack/probes';
import { processTree } from '../../stack/proc';
import { sweepTestLeftovers } from '../../stack/sweep';

// test/unit: tests of several packages together that need no server (the configuration, the ACL plan, the
// production layout's files). Everything else under test/ runs against the real stack.
const UNIT = ['schemas/test/**/*.test.ts', 'services/*/test/**/*.test.ts', 'test/unit/**/*.test.ts'];
// Mocha reads a file named by both lists once.
const INTEGRATION = ['test/**/*.test.ts'];
// No test of ours runs this long without a line of output (the soak's longest stretch is about 6 minutes): a suite
// silent for longer is hung, for instance by an event loop starved in its process, where mocha's own timeouts
// cannot fire. It is stopped with a message instead of running on to CI's bound.
const SILENCE_LIMIT_S = { normal: 15 * 60, soak: 30 * 60 };

/**
 * Seconds the suite may stay silent before it is taken as hung: HUB_TEST_SILENCE_LIMIT_S, unset or empty the default.
 */
export function silenceLimitS(env: NodeJS.ProcessEnv, soak: boolean): number {
  return wholeNumber(
    'HUB_TEST_SILENCE_LIMIT_S',
    env.HUB_TEST_SILENCE_LIMIT_S || undefined,
    soak ? SILENCE_LIMIT_S.soak : SILENCE_LIMIT_S.normal,
    { min: 1, unit: 'seconds' },
  );
}

/** The reporter's closing line (scripts/test/reporter.cjs), what CI and the README's reader take for the result. */
const CLOSING_LINE = /^\d+ passed, \d+ failed(, \d+ skipped)?$/;

/**
 * Passes the suite's standard output on to `write`, line by line, but holds back the reporter's closing line
 * "N passed, N failed" until `end`, which returns it: `hub test` writes it last, after its own lines (the stack's
 * stop, the time taken). A line that cannot be the closing one goes on at once, even before its end.
 */
export function closingLineLast(write: (text: string) => void): {
  push(chunk: string): void;
  end(): string | undefined;
} {
  let partial = '';
  let closing: string | undefined;
  return {
    push(chunk) {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (!CLOSING_LINE.test(line)) write(`${line}\n`);
        else {
          // Only the last such line is the reporter's: one a test printed goes on when the next comes.
          if (closing !== undefined) write(`${closing}\n`);
          closing = line;
        }
      }
      if (partial && !/^\d/.test(partial)) {
        write(partial);
        partial = '';
      }
    },
    end() {
      if (partial) write(partial);
      partial = '';
      return closing;
    },
  };
}

/**
 * The servers for a suite that needs them: the local stack started when they do not answer. Returns what this run
 * launched, the only servers it may stop afterwards: a probe can miss a busy broker, and `stack up` then finds the
 * servers running (those a user's `npm start` uses, say) and launches nothing.
 */
export async function stackForSuite(config: HubConfig, log: Say): Promise<Launched> {
  const running = (await probeKafka(config.kafka.brokers)).ok && (await probeMongo(config.mongo.url)).ok;
  if (running) return {};
  log('starting the local stack for the tests');
  return (await stackUp(config, log, { security: 'plaintext' })).launched;
}

export const testCommand: Command = {
  name: 'test',
  summary: 'run the test suite against the real local stack (starts it if not running)',
  usage: `hub test [--unit] [--soak] [--keep-stack] [-- <extra mocha args>]

  --unit        unit tests only (no servers needed)
  --soak        also the long fault-injection and load tests (HUB_SOAK=1)
  --keep-stack  leave the local stack running afterwards even if this run started it (otherwise the servers this
                run started are stopped, and only those)

Environment: HUB_TEST_SILENCE_LIMIT_S, seconds without output after which the suite is taken as hung and stopped
(a whole number from 1; default 900, 1800 with --soak).`,
  async run(args) {
    const sep = args.indexOf('--');
    const own = sep >= 0 ? args.slice(0, sep) : args;
    const extra = sep >= 0 ? args.slice(sep + 1) : [];
    const unknown = own.filter((a) => !['--unit', '--soak', '--keep-stack'].includes(a));
    if (unknown.length)
      throw new HubError(
        'USAGE',
        `unknown option ${unknown.join(' ')} (mocha's own go after --)\nusage: ${this.usage}`,
      );
    const unitOnly = own.includes('--unit');
    const log = say('test');
    const env = { ...process.env, HUB_SOAK: own.includes('--soak') ? '1' : (process.env.HUB_SOAK ?? '') };
    // Before the stack is started: a mistyped limit is refused, not read as NaN (the suite stopped after a second).
    const silenceLimit = silenceLimitS(process.env, env.HUB_SOAK === '1');
    const config = loadConfig();
    const t0 = Date.now();
    const since = (t: number) => `${Math.round((Date.now() - t) / 1000)} s`;
    const launched: Launched = unitOnly ? {} : await stackForSuite(config, log);
    if (!unitOnly && config.kafka.fromLocalStack && config.mongo.fromLocalStack) {
      const swept = await sweepTestLeftovers(
        config.kafka.brokers,
        config.mongo.url,
        join(config.hubHome, 'stack', 'ferretdb'),
      ).catch(() => undefined);
      if (swept && (swept.topics || swept.databases))
        log(`removed ${swept.topics} topics and ${swept.databases} databases left by earlier test runs`);
    }
    if (!unitOnly) ensureChromium(log);
    const specs = unitOnly ? UNIT : [...UNIT, ...INTEGRATION];
    const tSuite = Date.now();
    const setUp = since(t0);
    const mocha = join(repoRoot, 'node_modules', 'mocha', 'bin', 'mocha.js');
    const stdout = closingLineLast((text) => process.stdout.write(text));
    const code = await new Promise<number>((resolve) => {
      // Colours as on a terminal, though the output passes through this process (to watch for silence).
      const color = process.stdout.isTTY ? ['--color'] : [];
      const child = spawn(process.execPath, [mocha, ...specs, ...color, ...extra], {
        cwd: repoRoot,
        stdio: ['inherit', 'pipe', 'pipe'],
        env,
      });
      let lastOutput = Date.now();
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (d: string) => {
        lastOutput = Date.now();
        stdout.push(d);
      });
      child.stderr.on('data', (d: Buffer) => {
        lastOutput = Date.now();
        process.stderr.write(d);
      });
      let hung = false;
      const watchdog = setInterval(() => {
        if (hung || Date.now() - lastOutput < silenceLimit * 1000) return;
        hung = true;
        log(
          `no output from the suite for ${silenceLimit} s: it is hung (in the group of tests named last above); ` +
            'stopping it. HUB_TEST_SILENCE_LIMIT_S changes the limit.',
        );
        // mocha runs the tests in a child process of its own: the whole tree goes.
        for (const pid of processTree(child.pid ?? 0))
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // gone already
          }
      }, 1000);
      // 'close', not 'exit': the last lines (the suite's result) may still be in the pipes at exit.
      child.on('close', (c) => {
        clearInterval(watchdog);
        resolve(hung ? 1 : (c ?? 1));
      });
    });
    const closing = stdout.end();
    const suite = since(tSuite);
    const tDown = Date.now();
    if ((launched.kafka || launched.store) && !own.includes('--keep-stack'))
      await stackDown(loadConfig(), log, launched);
    // Where a slow run spent its time, on standard error with the other progress lines; then the suite's own
    // closing line, last: "N passed, N failed" is what CI and the README's reader take for the result.
    log(
      `finished in ${since(t0)}: set-up ${setUp}, suite ${suite}, stack stop ${since(tDown)}; exit code ${code}`,
    );
    if (closing !== undefined) process.stdout.write(`${closing}\n`);
    return code;
  },
};
