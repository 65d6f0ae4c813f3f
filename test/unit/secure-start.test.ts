// Unit tier: starting the secured broker (startSecureKafka) with stand-ins for the processes it spawns and the probes
// it waits on. No password may be on a command line: any local user reads /proc/<pid>/cmdline. The credentials are
// made once the broker answers on INTERNAL, each password through a 0600 file; test/security runs the real broker.
import { expect } from 'chai';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kafkaSecretsDir } from '@hub/config';
import { PRINCIPALS } from '@hub/kafka';
import { PkiStore } from '@hub/pki';
import type { KafkaLayout } from '@hub/cli/stack/kafka';
import type { RunResult } from '@hub/cli/stack/proc';
import { startSecureKafka, type SecureStartProcesses } from '@hub/cli/stack/security';

/** Stand-ins that record every command and answer as a broker would; `signedIn`: whether hub-admin gets in at first. */
function recordingProcesses(signedIn = false) {
  const commands: string[][] = [];
  const credentialsMade: string[] = [];
  let adminCredential = signedIn;
  const processes: SecureStartProcesses = {
    run: async (cmd: string, args: string[]): Promise<RunResult> => {
      commands.push([cmd, ...args]);
      if (args.includes('random-uuid')) return { code: 0, stdout: 'q1w2e3r4t5y6u7i8o9p0aA\n', stderr: '' };
      // A credential given to the storage format (`--add-scram SCRAM-SHA-512=[name=...]`) exists from the start.
      if (args.some((a) => a.includes(`[name=${PRINCIPALS.admin},`))) adminCredential = true;
      if (args.includes('kafka.admin.ConfigCommand')) {
        const user = args[args.indexOf('--entity-name') + 1]!;
        credentialsMade.push(user);
        if (user === PRINCIPALS.admin) adminCredential = true;
      }
      return { code: 0, stdout: '', stderr: '' };
    },
    startDetached: (cmd: string, args: string[]) => {
      commands.push([cmd, ...args]);
      return process.pid; // alive for as long as the test runs
    },
    internalReady: async () => true,
    clientReady: async (_brokers, security) => security.username === PRINCIPALS.admin && adminCredential,
  };
  return { processes, commands, credentialsMade };
}

describe('starting the secured broker (startSecureKafka)', function () {
  this.timeout(30000);
  let home: string;
  let layout: KafkaLayout;
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'hub-secure-start-'));
    new PkiStore(join(home, 'pki')).initCa({ bits: 2048 });
    const dir = join(home, 'stack', 'kafka-secure');
    layout = {
      libs: join(home, 'libs'),
      dataDir: join(dir, 'data'),
      configDir: dir,
      logFile: join(home, 'kafka.log'),
    };
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  const start = (processes: SecureStartProcesses) =>
    startSecureKafka({
      layout,
      hubHome: home,
      listeners: { client: 39192, internal: 39194, controller: 39193 },
      principals: ['coordinator', 'node-KZ'],
      readyTimeoutMs: 10000,
      processes,
    });

  it('puts no password on any command line it spawns, and makes each credential once the broker runs', async () => {
    const { processes, commands, credentialsMade } = recordingProcesses();
    await start(processes);

    const secrets = kafkaSecretsDir(home);
    const passwords = readdirSync(secrets)
      .filter((f) => f.endsWith('.password'))
      .map((f) => readFileSync(join(secrets, f), 'utf8').trim());
    expect(passwords).to.have.length(3); // hub-admin's, the coordinator's, node KZ's
    for (const command of commands)
      for (const arg of command)
        for (const password of passwords) expect(arg, command.join(' ')).not.to.contain(password);
    const format = commands.find((c) => c.includes('format'));
    expect(format, 'the storage is formatted').not.to.equal(undefined);
    expect(format).not.to.include('--add-scram');
    // On INTERNAL with the broker certificate, hub-admin's last: once it signs in, the broker has them all.
    expect(credentialsMade).to.deep.equal(['coordinator', 'node-KZ', PRINCIPALS.admin]);
    for (const c of commands.filter((x) => x.includes('kafka.admin.ConfigCommand'))) {
      expect(c[c.indexOf('--bootstrap-server') + 1]).to.equal('127.0.0.1:39194');
      expect(c).to.include('--add-config-file');
    }
  });

  it('makes no credential again when hub-admin already signs in (a storage made before)', async () => {
    const { processes, credentialsMade } = recordingProcesses(true);
    await start(processes);
    expect(credentialsMade).to.deep.equal([]);
  });
});
