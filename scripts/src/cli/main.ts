// The `hub` operator CLI: one verb per file under commands/.
import { HubError } from '@hub/errors';
import type { Command } from './command';
import { wantsHelp } from './command';
import { commands } from './commands/index';

function helpText(list: Command[]): string {
  const width = Math.max(...list.map((c) => c.name.length));
  return `hub <verb> [options]  (every verb answers --help)\n\n${list
    .map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`)
    .join('\n')}\n`;
}

async function main(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  // Asked for, the help is the answer (stdout, exit 0); with no verb at all, it says what is missing (stderr, exit 2).
  if (!verb) {
    process.stderr.write(`hub: say which verb to run\n\n${helpText(commands)}`);
    return 2;
  }
  if (verb === '--help' || verb === '-h' || verb === 'help') {
    process.stdout.write(helpText(commands));
    return 0;
  }
  const command = commands.find((c) => c.name === verb);
  if (!command) {
    process.stderr.write(`hub: unknown verb '${verb}'.\n\n${helpText(commands)}`);
    return 2;
  }
  if (wantsHelp(rest)) {
    process.stdout.write(`usage: ${command.usage}\n`);
    return 0;
  }
  return command.run(rest);
}

/**
 * A verb's work is done when its promise settles (the long-running ones settle after their graceful shutdown). A
 * client that a library keeps retrying must not then hold the process for ever, in CI least of all: it is named and
 * the process ends with the verb's own code.
 */
function exitSoon(): void {
  setTimeout(() => {
    process.stderr.write(
      `hub: finished, but still held by ${process.getActiveResourcesInfo().join(', ')}; exiting\n`,
    );
    process.exit();
  }, 10000).unref();
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    exitSoon();
  },
  (err: unknown) => {
    if (err instanceof HubError) {
      process.stderr.write(`hub: ${err.message}\n`);
      process.exitCode = err.code === 'USAGE' ? 2 : 1;
    } else {
      process.stderr.write(`hub: unexpected error: ${(err as Error)?.stack ?? String(err)}\n`);
      process.exitCode = 1;
    }
    exitSoon();
  },
);
