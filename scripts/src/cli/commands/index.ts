// Every verb of the CLI, in the order `hub --help` lists them.
import type { Command } from '../command';
import { askCommand } from './ask';
import { auditCommand } from './audit';
import { benchCommand } from './bench';
import { importCommand } from './import';
import { importAnnualCommand } from './import-annual';
import { pkiCommand } from './pki';
import { quarantineCommand } from './quarantine';
import { replayCommand } from './replay';
import { securityCommand } from './security';
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
  securityCommand,
  nodeCommand,
  coordinatorCommand,
  apiCommand,
  importCommand,
  importAnnualCommand,
  tokenCommand,
  verifyCommand,
  auditCommand,
  askCommand,
  quarantineCommand,
  replayCommand,
  testCommand,
  benchCommand,
];
