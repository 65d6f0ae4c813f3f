// Every verb of the CLI, in the order `hub --help` lists them.
import type { Command } from '../command';
import { stackCommand } from './stack';
import { testCommand } from './test';
import { startCommand } from './start';

export const commands: Command[] = [startCommand, stackCommand, testCommand];
