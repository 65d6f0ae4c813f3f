// `hub ask <CC>`: the coordination node asks a country for information (an InformationRequest from HUB).
import { readFileSync } from 'node:fs';
import { loadConfig } from '@hub/config';
import { askAsCoordinator } from '@hub/coordinator';
import { HubError, ValidationError } from '@hub/errors';
import type { Command } from '../command';
import { parse, say } from '../command';
import { cliLogger } from '../cli-logger';

const USAGE = `hub ask <CC> --purpose TEXT --question TEXT --tlp TLP [options]

The coordination node asks country <CC> for information: the request is signed with the coordinator's key (run
this where the coordinator's HUB_HOME is), written to the coordination node's topic (hub.node.HUB.out), and
delivered by the coordinator, countersigned, to <CC>'s node like any country's request. <CC>'s answer stays at
the hub: coordinators read it in the query API (GET /v1/requests, the dashboard). Past its due time unanswered,
the request is marked escalated.

  --purpose        why the information is needed (required; e.g. an investigation or case reference)
  --question       what is asked (required)
  --tlp            TLP 2.0 handling of the request: CLEAR, GREEN, AMBER, AMBER+STRICT or RED (required)
  --releasable-to  countries or region ids it may be shared with beyond <CC> (comma-separated)
  --subject-kind   report, identifier, route or other (default other)
  --subject-ref    the report id, identifier or route asked about (required unless other)
  --urgency        routine, urgent or immediate (default routine: due in 14 days; urgent 24 h; immediate 2 h)
  --due-at         the due time, ISO 8601 (instead of the urgency's default)
  --request-id     a UUID of your own (default: generated); the same id is never used twice
  --json FILE      the request as a national node's POST /v1/requests takes it (- for stdin); flags add to it
  --wait SECONDS   wait this long for the coordinator to store it (default 30; 0: do not wait)

Prints the request (requestId, to, dueAt, messageId, stored) as JSON. Exit status: 0 sent (and stored, when
waited for; if the coordinator has not stored it in time, a warning says so: it is in Kafka and will be taken when
the coordinator runs; do not send it again), 1 refused by the coordinator or not sent, 2 usage or invalid request.`;

const FLAGS: Record<string, string> = {
  purpose: 'purpose',
  question: 'question',
  'subject-kind': 'subjectKind',
  'subject-ref': 'subjectRef',
  urgency: 'urgency',
  'due-at': 'dueAt',
  'request-id': 'requestId',
};

/**
 * A field of the request as the flag that sets it, in an error message; as the JSON field when the request came
 * from --json and no flag set it.
 */
function asFlag(field: string, fromJson: boolean, fromFlags: Set<string>): string {
  if (fromJson && !fromFlags.has(field.split('.')[0]!.split('[')[0]!)) return field;
  if (field === 'to') return '<CC>';
  if (field === 'handling' || field === 'handling.tlp') return '--tlp';
  if (field.startsWith('handling.releasableTo')) return `--releasable-to (${field})`;
  const flag = Object.entries(FLAGS).find(([, f]) => f === field)?.[0];
  return flag ? `--${flag}` : field;
}

export const askCommand: Command = {
  name: 'ask',
  summary: 'the coordination node asks a country for information (an information request from HUB)',
  usage: USAGE,
  async run(args) {
    const options = Object.fromEntries(
      [...Object.keys(FLAGS), 'tlp', 'releasable-to', 'json', 'wait'].map((k) => [
        k,
        { type: 'string' as const },
      ]),
    );
    const { values, positionals } = parse(args, options, USAGE);
    const log = say('ask');
    const body: Record<string, unknown> = {};
    if (values.json !== undefined) {
      let text: string;
      try {
        text = readFileSync(values.json === '-' ? 0 : values.json, 'utf8');
      } catch (err) {
        throw new HubError('USAGE', `--json ${values.json} cannot be read: ${(err as Error).message}`);
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (err) {
        throw new HubError('USAGE', `--json ${values.json} is not JSON: ${(err as Error).message}`);
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw new HubError('USAGE', `--json ${values.json} must hold one request, a JSON object`);
      Object.assign(body, parsed);
    }
    if (positionals.length > 1) throw new HubError('USAGE', `ask one country at a time\nusage: ${USAGE}`);
    const fromFlags = new Set<string>();
    if (positionals[0] !== undefined) {
      body.to = positionals[0];
      fromFlags.add('to');
    }
    for (const [flag, field] of Object.entries(FLAGS)) {
      const v = values[flag];
      if (typeof v === 'string') {
        body[field] = v;
        fromFlags.add(field);
      }
    }
    if (values.tlp !== undefined || values['releasable-to'] !== undefined) {
      fromFlags.add('handling');
      const handling = { ...((body.handling as Record<string, unknown> | undefined) ?? {}) };
      if (values.tlp !== undefined) handling.tlp = values.tlp;
      if (values['releasable-to'] !== undefined)
        handling.releasableTo = String(values['releasable-to'])
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean);
      body.handling = handling;
    }
    const waitSeconds = Number(values.wait ?? 30);
    if (!Number.isFinite(waitSeconds) || waitSeconds < 0)
      throw new HubError('USAGE', `--wait must be a number of seconds, 0 or more; got ${values.wait}`);

    const config = loadConfig(undefined, { kafkaPrincipal: 'coordinator' });
    // Logs to stderr: stdout is the request, for scripts.
    const logger = cliLogger('ask', config);
    let asked;
    try {
      asked = await askAsCoordinator({ config, logger, body, waitMs: waitSeconds * 1000 });
    } catch (err) {
      if (err instanceof ValidationError)
        throw new HubError(
          'USAGE',
          `the request is not valid:\n${[
            ...new Set(
              err.errors.map(
                (e) =>
                  `  ${asFlag(e.field, values.json !== undefined, fromFlags)}: ${e.message}${e.value === undefined ? '' : ` (got ${JSON.stringify(e.value)})`}`,
              ),
            ),
          ].join('\n')}\nusage: ${USAGE.split('\n')[0]}`,
        );
      throw err;
    }
    const { request } = asked;
    for (const note of asked.normalisations) log(note);
    if (waitSeconds > 0 && !asked.stored)
      log(
        `sent, but the coordinator has not stored it within ${waitSeconds} s: is it running? The request is in ` +
          `Kafka and is taken when it runs; do not send it again (request ${request.requestId}).`,
      );
    process.stdout.write(
      `${JSON.stringify(
        {
          requestId: request.requestId,
          from: request.from,
          to: request.to,
          urgency: request.urgency,
          dueAt: new Date(request.dueAt).toISOString(),
          messageId: asked.messageId,
          stored: asked.stored,
        },
        null,
        2,
      )}\n`,
    );
    return 0;
  },
};
