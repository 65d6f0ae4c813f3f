// Unit tier: starting the secured broker (startSecureKafka) with stand-ins for the processes it spawns and the probes
// it waits on. No password may be on a command line: any local user reads /proc/<pid>/cmdline. The credentials are
// made once the broker answers on INTERNAL, each password through a 0600 file; test/security runs the real broker.
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kafkaSecretsDir, loadConfig, type KafkaSecurity } from '@hub/config';
import { HubError } from '@hub/errors';
import { PRINCIPALS } from '@hub/kafka';
import { PkiStore } from '@hub/pki';
import { kafkaLayout, type KafkaLayout } from '@hub/cli/stack/kafka';
import type { RunResult } from '@hub/cli/stack/proc';
import { startSecureKafka, type SecureStartProcesses } from '@hub/cli/stack/security';
import { runningSecureKafkaProbe, startLocalSecureKafka } from '@hub/cli/stack/stack';

/**
 * Stand-ins that record every command and answer as a broker would; `signedIn`: whether hub-admin gets in at first;
 * `failing`: a principal whose credential the broker does not take (ConfigCommand exits 1), as a start stopped there.
 */
function recordingProcesses(signedIn = false, failing?: string) {
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
        if (user === failing) return { code: 1, stdout: '', stderr: 'interrupted' };
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
  /** probeKafka as hub-admin on the client listener: refused (kafkajs' SASL error) until its credential is made. */
  const probeKafka = async (_brokers: string[], security?: KafkaSecurity) =>
    security?.username === PRINCIPALS.admin && adminCredential
      ? { ok: true, brokers: 1 }
      : {
          ok: false,
          error:
            'SASL SCRAM SHA512 authentication failed: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512',
        };
  return { processes, commands, credentialsMade, probeKafka };
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

describe('the secured local stack: credentials recorded once made', function () {
  this.timeout(30000);
  let home: string;
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'hub-secure-record-'));
    new PkiStore(join(home, 'pki')).initCa({ bits: 2048 });
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  const configOf = (countries: string) =>
    loadConfig({ HUB_HOME: home, HUB_CACHE_DIR: join(home, 'cache'), HUB_DEMO_COUNTRIES: countries });
  const layoutOf = (version: string): KafkaLayout => {
    const config = configOf('KZ');
    const dir = join(home, 'stack', 'kafka-secure');
    return { ...kafkaLayout(config.cacheDir, home, version), configDir: dir, dataDir: join(dir, 'data') };
  };
  /** The broker a stopped `stack up --secure` left running, as run/stack.json records it. */
  const kafka = {
    brokers: ['127.0.0.1:39192'],
    version: '4.1.1',
    security: 'sasl_ssl' as const,
    internal: ['127.0.0.1:39194'],
  };
  const recorded = () =>
    JSON.parse(
      readFileSync(join(home, 'stack', 'kafka-secure', 'scram-principals.json'), 'utf8'),
    ) as string[];

  it('records only the credentials a stopped first start made, and a stack up with the broker running makes the rest', async () => {
    const first = recordingProcesses(false, 'query-api');
    const failure = await startLocalSecureKafka(
      configOf('KZ,KG'),
      layoutOf(kafka.version),
      () => undefined,
      first.processes,
    )
      .then(() => undefined)
      .catch((err: unknown) => err);
    expect(failure).to.be.instanceOf(HubError);
    expect((failure as HubError).message).to.contain('setting the SCRAM credential of query-api failed');
    // coordinator's made; query-api's failed; the nodes' and hub-admin's never reached.
    expect(first.credentialsMade).to.deep.equal(['coordinator']);
    expect(recorded()).to.deep.equal(['coordinator']);

    // The next `stack up`, with other demo countries: the broker runs, answers on INTERNAL, refuses hub-admin.
    const lines: string[] = [];
    const second = recordingProcesses(false);
    const probe = runningSecureKafkaProbe(
      configOf('KZ,TJ'),
      (l) => lines.push(l),
      kafka,
      second.probeKafka,
      second.processes,
    );
    expect(await probe()).to.include({ ok: true });
    expect(second.credentialsMade).to.deep.equal(['query-api', 'node-KZ', 'node-TJ', PRINCIPALS.admin]);
    // node-KG was never made, and is not recorded.
    expect(recorded()).to.have.members(['coordinator', 'query-api', 'node-KZ', 'node-TJ', PRINCIPALS.admin]);
    expect(lines.join('\n')).to.contain('the running broker refuses hub-admin');
    // Once hub-admin gets in, nothing more is made.
    expect(await probe()).to.include({ ok: true });
    expect(second.credentialsMade).to.have.length(4);
  });

  it('makes nothing on a running broker that only does not answer yet, nor where hub-admin gets in, and names a credential not taken', async () => {
    const busy = recordingProcesses(false);
    const down = runningSecureKafkaProbe(
      configOf('KZ'),
      () => undefined,
      kafka,
      async () => ({ ok: false, error: 'Connection error: connect ECONNREFUSED 127.0.0.1:39192' }),
      busy.processes,
    );
    expect(await down()).to.include({ ok: false });
    expect(busy.credentialsMade).to.deep.equal([]);
    const fine = recordingProcesses(true);
    expect(
      await runningSecureKafkaProbe(
        configOf('KZ'),
        () => undefined,
        kafka,
        fine.probeKafka,
        fine.processes,
      )(),
    ).to.include({ ok: true });
    expect(fine.credentialsMade).to.deep.equal([]);
    // A credential the broker does not take: the probe says so, for the wait's message.
    const broken = recordingProcesses(false, 'coordinator');
    const said = await runningSecureKafkaProbe(
      configOf('KZ'),
      () => undefined,
      kafka,
      broken.probeKafka,
      broken.processes,
    )();
    expect(said.ok).to.equal(false);
    expect(said.error).to.contain(
      'the running broker refuses hub-admin, and setting the SCRAM credential of coordinator failed',
    );
  });

  it('drops a record naming hub-admin while the broker refuses it (written before any credential, as until 2026-12-08)', async () => {
    const layout = layoutOf(kafka.version);
    mkdirSync(layout.configDir, { recursive: true });
    writeFileSync(
      join(layout.configDir, 'scram-principals.json'),
      JSON.stringify([PRINCIPALS.admin, 'coordinator', 'query-api', 'node-KZ', 'node-KG']),
    );
    const p = recordingProcesses(false);
    expect(
      await runningSecureKafkaProbe(configOf('KZ'), () => undefined, kafka, p.probeKafka, p.processes)(),
    ).to.include({ ok: true });
    expect(p.credentialsMade).to.deep.equal(['coordinator', 'query-api', 'node-KZ', PRINCIPALS.admin]);
    expect(recorded()).to.have.members(['coordinator', 'query-api', 'node-KZ', PRINCIPALS.admin]);
  });
});
