// What one CLI verb looks like: a name, a help text and a run function that returns the exit code.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { HubError } from '@hub/errors';

export interface Command {
  name: string;
  summary: string;
  usage: string;
  /** Returns the process exit code. Long-running verbs resolve only when they stop. */
  run(args: string[]): Promise<number>;
}

/** parseArgs with errors a person can act on. */
export function parse<T extends NonNullable<ParseArgsConfig['options']>>(
  args: string[],
  options: T,
  usage: string,
) {
  // A negative number after an option that takes a value is that value (`--ttl -60`), not an option of its own,
  // which parseArgs would refuse as ambiguous.
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const name = /^--([\w-]+)$/.exec(args[i]!)?.[1];
    const next = args[i + 1];
    if (name && options[name]?.type === 'string' && next !== undefined && /^-\d+(\.\d+)?$/.test(next)) {
      joined.push(`--${name}=${next}`);
      i++;
    } else joined.push(args[i]!);
  }
  try {
    return parseArgs({ args: joined, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new HubError('USAGE', `${(err as Error).message}\nusage: ${usage}`);
  }
}

/** Refuse `extra` arguments a verb does not take (`rule` says what it takes), rather than ignore them. */
export function refuseExtra(extra: string[], rule: string, usage: string): void {
  if (extra.length)
    throw new HubError(
      'USAGE',
      `${rule}, got ${extra.map((p) => JSON.stringify(p)).join(' ')}\nusage: ${usage}`,
    );
}

export function wantsHelp(args: string[]): boolean {
  return args.includes('--help') || args.includes('-h');
}

/** A progress line on stderr for a person watching, e.g. "[stack] Kafka is ready". */
export function say(prefix: string): (line: string) => void {
  return (line) => process.stderr.write(`[${prefix}] ${line}\n`);
}
