// `hub stack up|down|status`.
import { loadConfig } from '@hub/config';
import { HubError } from '@hub/errors';
import type { Command } from '../command';
import { parse, say, refuseExtra } from '../command';
import { stackDown, stackStatus, stackUp } from '../../stack/stack';

export const stackCommand: Command = {
  name: 'stack',
  summary: 'start, stop or report the local Kafka broker and MongoDB-wire store',
  usage: `hub stack up [--secure]|down|status

  up      provision (first run: Kafka jars from Maven Central, FerretDB built with Go) and start both servers;
          --secure: the broker runs the security profile (TLS from the hub CA, SASL/SCRAM-SHA-512 per service,
          ACLs of the topic table for HUB_DEMO_COUNTRIES), its passwords in $HUB_HOME/secrets/kafka
  down    stop what 'stack up' started
  status  report both servers with their versions (exit 1 when one is down)

Environment: HUB_HOME, HUB_STACK_KAFKA_PORT (39092), HUB_STACK_KAFKA_CONTROLLER_PORT (39093),
HUB_STACK_KAFKA_INTERNAL_PORT (39094, --secure only), HUB_STACK_MONGO_PORT (37017); HUB_KAFKA_BROKERS / HUB_MONGO_URL use existing servers instead,
read from the environment each time: a local stack already running stays recorded, and 'stack down' still stops it.`,
  async run(args) {
    const config = loadConfig();
    const [verb, ...rest] = args;
    /** The options of `verb`, none of its own arguments: a stray word is refused, not ignored. */
    const options = <T extends Parameters<typeof parse>[1]>(known: T) => {
      const { values, positionals } = parse(rest, known, this.usage);
      refuseExtra(
        positionals,
        `hub stack ${verb} takes ${verb === 'up' ? 'options only' : 'no arguments'}`,
        this.usage,
      );
      return values;
    };
    if (verb === 'up') {
      const values = options({ secure: { type: 'boolean' } });
      await stackUp(config, say('stack'), values.secure ? { security: 'sasl_ssl' } : {});
      return 0;
    }
    if (verb === 'down') {
      options({});
      await stackDown(config, say('stack'));
      return 0;
    }
    if (verb === 'status') {
      options({});
      const s = await stackStatus(config);
      const line = (ok: boolean) => (ok ? 'running' : 'DOWN');
      process.stdout.write(
        `kafka  ${line(s.kafka.running)}  Apache Kafka ${s.kafka.version}  ${s.kafka.brokers.join(',')}` +
          `${s.kafka.secured ? '  SASL_SSL' : ''}` +
          `${s.kafka.pid ? `  pid ${s.kafka.pid}` : ''}\n` +
          `store  ${line(s.mongo.running)}  ${s.mongo.version}  ${s.mongo.url}${s.mongo.pid ? `  pid ${s.mongo.pid}` : ''}\n`,
      );
      return s.kafka.running && s.mongo.running ? 0 : 1;
    }
    throw new HubError(
      'USAGE',
      `${verb === undefined ? 'say what to do' : `hub stack does not know ${JSON.stringify(verb)}: say`} up, down or status\nusage: ${this.usage}`,
    );
  },
};
