// Every verb of the CLI, in the order `hub --help` lists them.
import type { Command } from '../command';
import { benchCommand } from './bench';
import { pkiCommand } from './pki';
import { apiCommand, coordinatorCommand, nodeCommand } from './services';
import { stackCommand } from './stack';
import { startCommand } from './start';
import { testCommand } from './test';
import { tokenCommand } from './token';
import { verifyCommand } from './verify';

export const commands: Command[] = [
  startCommand,
  stackCommand,
  pkiCommand,
  nodeCommand,
  coordinatorCommand,
  apiCommand,
  tokenCommand,
  verifyCommand,
  testCommand,
  benchCommand,
];
