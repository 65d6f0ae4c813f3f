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

/** How a run of the suite gets its servers and stops them: the local stack (unit tests hand in stand-ins). */
export interface SuiteStack {
  /** Make ready what the suite needs; returns the servers this run launched. */
  up(): Promise<Launched>;
  /** Stop the servers `up` launched, and only those. */
  down(launched: Launched): Promise<void>;
}

export interface SuiteOptions {
  /** What mocha is given: the spec globs or files, then its own options. */
  mochaArgs: string[];
  env: NodeJS.ProcessEnv;
  /** Seconds without output after which the suite is taken as hung (silenceLimitS). */
  silenceLimit: number;
  /** --keep-stack: the servers this run launched are left running. */
  keepStack: boolean;
}

/** The exit code of a run stopped by a signal, as a shell gives it: 128 plus the signal's number. */
const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;
type StopSignal = keyof typeof SIGNAL_EXIT;

/** SIGKILL `pid` and all its descendants: mocha runs the tests in a child process of its own. */
function killTree(pid: number | undefined): void {
  if (pid === undefined) return;
  for (const p of processTree(pid))
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // gone already
    }
}

/**
 * Run mocha as the suite, its output passed on (the reporter's closing line held back, see closingLineLast), stopped
 * with its whole tree once silent longer than the limit. `started` gets its pid. Resolves to its exit code.
 */
function runMocha(
  options: SuiteOptions,
  log: Say,
  stdout: ReturnType<typeof closingLineLast>,
  started: (pid: number | undefined) => void,
): Promise<number> {
  const mocha = join(repoRoot, 'node_modules', 'mocha', 'bin', 'mocha.js');
  return new Promise<number>((resolve) => {
    // Colours as on a terminal, though the output passes through this process (to watch for silence).
    const color = process.stdout.isTTY ? ['--color'] : [];
    const child = spawn(process.execPath, [mocha, ...color, ...options.mochaArgs], {
      cwd: repoRoot,
      stdio: ['inherit', 'pipe', 'pipe'],
      env: options.env,
    });
    started(child.pid);
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
      if (hung || Date.now() - lastOutput < options.silenceLimit * 1000) return;
      hung = true;
      log(
        `no output from the suite for ${options.silenceLimit} s: it is hung (in the group of tests named last above); ` +
          'stopping it. HUB_TEST_SILENCE_LIMIT_S changes the limit.',
      );
      killTree(child.pid);
    }, 1000);
    // 'close', not 'exit': the last lines (the suite's result) may still be in the pipes at exit.
    child.on('close', (c) => {
      clearInterval(watchdog);
      resolve(hung ? 1 : (c ?? 1));
    });
  });
}

/**
 * Run mocha with `options` between `stack.up` and `stack.down`; returns the exit code. A SIGINT (Ctrl-C) or SIGTERM
 * stops the suite's whole process tree (or, while the stack is being started, the suite is not run) and then, as at
 * the end of any run, the servers this run launched: they run detached, so the signal does not reach them, and later
 * runs would find them running and leave them be. The run then ends with 130 or 143; a second signal ends it at once.
 */
export async function runSuite(options: SuiteOptions, stack: SuiteStack, log: Say): Promise<number> {
  const t0 = Date.now();
  const since = (t: number) => `${Math.round((Date.now() - t) / 1000)} s`;
  let interrupted: StopSignal | undefined;
  let interruptedAt = 0;
  let suitePid: number | undefined;
  const onSignal = (signal: StopSignal) => {
    // One Ctrl-C can come twice: from the terminal, and forwarded by npm where the script's shell (bash) has made
    // this process npm's own child. A repeat within a second is that one.
    if (interrupted && Date.now() - interruptedAt < 1000) return;
    if (interrupted) {
      log(`${signal} again: exiting now; 'hub stack down' stops what this run started`);
      process.exit(SIGNAL_EXIT[signal]);
    }
    interrupted = signal;
    interruptedAt = Date.now();
    log(
      suitePid === undefined
        ? `${signal}: stopping once the stack has started, to stop the servers this run started (again: at once)`
        : `${signal}: stopping the suite, then the servers this run started`,
    );
    killTree(suitePid);
  };
  const onSigint = () => onSignal('SIGINT');
  const onSigterm = () => onSignal('SIGTERM');
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);
  try {
    const launched = await stack.up();
    const tSuite = Date.now();
    const setUp = since(t0);
    const stdout = closingLineLast((text) => process.stdout.write(text));
    const code = interrupted
      ? SIGNAL_EXIT[interrupted]
      : await runMocha(options, log, stdout, (pid) => (suitePid = pid));
    // Ended: a signal from now on has no suite to stop (its pid may be another process's soon).
    suitePid = undefined;
    const closing = stdout.end();
    const suite = since(tSuite);
    const tDown = Date.now();
    if ((launched.kafka || launched.store) && !options.keepStack) await stack.down(launched);
    const exitCode = interrupted ? SIGNAL_EXIT[interrupted] : code;
    // Where a slow run spent its time, on standard error with the other progress lines; then the suite's own
    // closing line, last: "N passed, N failed" is what CI and the README's reader take for the result.
    log(
      `${interrupted ? `interrupted by ${interrupted}, ` : ''}finished in ${since(t0)}: set-up ${setUp}, ` +
        `suite ${suite}, stack stop ${since(tDown)}; exit code ${exitCode}`,
    );
    if (closing !== undefined) process.stdout.write(`${closing}\n`);
    return exitCode;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
  }
}

export const testCommand: Command = {
  name: 'test',
  summary: 'run the test suite against the real local stack (starts it if not running)',
  usage: `hub test [--unit] [--soak] [--keep-stack] [-- <extra mocha args>]

  --unit        unit tests only (no servers needed)
  --soak        also the long fault-injection and load tests (HUB_SOAK=1)
  --keep-stack  leave the local stack running afterwards even if this run started it (otherwise the servers this
                run started are stopped, and only those)

Ctrl-C (or SIGTERM) stops the suite and the servers this run started; the run then exits with 130 (143).

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
    const stack: SuiteStack = {
      async up() {
        if (unitOnly) return {};
        const launched = await stackForSuite(config, log);
        if (config.kafka.fromLocalStack && config.mongo.fromLocalStack) {
          const swept = await sweepTestLeftovers(
            config.kafka.brokers,
            config.mongo.url,
            join(config.hubHome, 'stack', 'ferretdb'),
          ).catch(() => undefined);
          if (swept && (swept.topics || swept.databases))
            log(`removed ${swept.topics} topics and ${swept.databases} databases left by earlier test runs`);
        }
        ensureChromium(log);
        return launched;
      },
      down: (launched) => stackDown(loadConfig(), log, launched),
    };
    const specs = unitOnly ? UNIT : [...UNIT, ...INTEGRATION];
    return runSuite(
      { mochaArgs: [...specs, ...extra], env, silenceLimit, keepStack: own.includes('--keep-stack') },
      stack,
      log,
    );
  },
};
