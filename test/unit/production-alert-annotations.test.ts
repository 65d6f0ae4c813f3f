// monitoring/alerts.test.yml expects, for each alert that fires, the texts (summary, description) that the rule in
// alerts.yml renders. promtool checks them, but it is not part of `npm test`: a rule's text changed without its test
// went unnoticed. This renders each rule's templates with the case's labels and compares. The value of the alert
// ($value) is not known without evaluating the rule, so where a template prints it the expected text may have any
// number there (a duration for humanizeDuration): the words around it must still be the rule's.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { repoRoot } from '@hub/config';

const monitoring = join(repoRoot, 'infra', 'production', 'monitoring');

type Rule = { alert: string; labels?: Record<string, string>; annotations?: Record<string, string> };
type Rules = { groups: { rules: Rule[] }[] };
type ExpAlert = { exp_labels?: Record<string, string>; exp_annotations?: Record<string, string> };
type Tests = {
  tests: { alert_rule_test?: { alertname: string; eval_time: string; exp_alerts: ExpAlert[] }[] }[];
};

/**
 * Alerts whose templates use a construct `toPattern` does not render (none today): listed here by name, their
 * annotations are not compared. Add one only with the reason beside it.
 */
const UNRENDERABLE = new Set<string>([]);

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const NUMBER = '-?(?:[0-9]+(?:\\.[0-9]+)?(?:e[+-]?[0-9]+)?|NaN|\\+?Inf)';
/** Prometheus's humanizeDuration: `1d 2h 3m 4s`, `2h 3m 4s`, `3m 4s`, or seconds and smaller units. */
const DURATION =
  '-?(?:[0-9]+d [0-9]+h [0-9]+m [0-9]+s|[0-9]+h [0-9]+m [0-9]+s|[0-9]+m [0-9]+s|[0-9.e+-]+(?:s|ms|us|ns))';
/** Prometheus's humanize: 4 significant digits and an SI prefix. */
const HUMANIZED = `${NUMBER}(?: ?[kMGTPEZYmunpfazy])?`;

/** The rule's template as a regular expression of the texts it renders with these labels and any value. */
function toPattern(template: string, labels: Record<string, string>): RegExp {
  let pattern = '';
  let rest = template;
  for (let at = rest.indexOf('{{'); at >= 0; at = rest.indexOf('{{')) {
    const end = rest.indexOf('}}', at);
    if (end < 0) throw new Error(`template ${JSON.stringify(template)}: '{{' at ${at} is never closed`);
    pattern += escape(rest.slice(0, at));
    const action = rest.slice(at + 2, end).trim();
    const label = /^\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)$/.exec(action);
    if (label) pattern += escape(labels[label[1]!] ?? '');
    else if (/^printf "%\.0f" \$value$/.test(action)) pattern += '-?[0-9]+';
    else if (action === '$value') pattern += NUMBER;
    else if (action === '$value | humanizeDuration') pattern += DURATION;
    else if (action === '$value | humanize') pattern += HUMANIZED;
    else
      throw new Error(`template action {{ ${action} }} is not rendered here (labels, $value, printf "%.0f")`);
    rest = rest.slice(end + 2);
  }
  return new RegExp(`^${pattern}${escape(rest)}$`);
}

/** Each expected annotation of alerts.test.yml that the rule of the same alert does not render, said why. */
function annotationMismatches(rules: Rules, tests: Tests): string[] {
  const byName = new Map(rules.groups.flatMap((g) => g.rules).map((r) => [r.alert, r]));
  const found: string[] = [];
  for (const test of tests.tests)
    for (const c of test.alert_rule_test ?? []) {
      const rule = byName.get(c.alertname);
      if (!rule) {
        found.push(`${c.alertname} at ${c.eval_time}: no such rule in alerts.yml`);
        continue;
      }
      if (UNRENDERABLE.has(rule.alert)) continue;
      for (const alert of c.exp_alerts) {
        const expected = alert.exp_annotations ?? {};
        const annotations = rule.annotations ?? {};
        const keys = [...new Set([...Object.keys(expected), ...Object.keys(annotations)])].sort();
        for (const key of keys) {
          const where = `${c.alertname} at ${c.eval_time}, ${key}`;
          const template = annotations[key];
          const text = expected[key];
          if (template === undefined) found.push(`${where}: expected, but the rule has no such annotation`);
          else if (text === undefined) found.push(`${where}: the rule has it, the test expects none`);
          else if (!toPattern(template, alert.exp_labels ?? {}).test(text))
            found.push(
              `${where}: expects ${JSON.stringify(text)}, the rule renders ${JSON.stringify(template)}`,
            );
        }
      }
    }
  return found;
}

const read = <T>(file: string) => load(readFileSync(join(monitoring, file), 'utf8')) as T;

describe("production alerts: the promtool tests' expected texts are the rules' (infra/production/monitoring)", () => {
  it('renders each firing alert of alerts.test.yml as its rule in alerts.yml does', () => {
    const tests = read<Tests>('alerts.test.yml');
    const firing = tests.tests.flatMap((t) => t.alert_rule_test ?? []).filter((c) => c.exp_alerts.length > 0);
    expect(firing.length).to.be.at.least(20);
    expect(annotationMismatches(read<Rules>('alerts.yml'), tests)).to.deep.equal([]);
  });

  it('names an expected text that no longer matches its rule', () => {
    const rules = read<Rules>('alerts.yml');
    const tests = read<Tests>('alerts.test.yml');
    const stale = structuredClone(tests);
    const c = stale.tests
      .flatMap((t) => t.alert_rule_test ?? [])
      .find((x) => x.alertname === 'HubCoordinatorBacklog');
    c!.exp_alerts[0]!.exp_annotations!.summary =
      'coordinator coordinator-1:9100: chunks have waited for the store all of the last 15 minutes';
    expect(annotationMismatches(rules, stale)).to.deep.equal([
      'HubCoordinatorBacklog at 16m, summary: expects "coordinator coordinator-1:9100: chunks have waited for the ' +
        'store all of the last 15 minutes", the rule renders "coordinator {{ $labels.instance }}: chunks have waited ' +
        'for the store lock all of the last 15 minutes"',
    ]);
  });

  it('renders labels and values: the words must match, the value may be any number', () => {
    const pattern = toPattern(
      '{{ $labels.job }}: {{ printf "%.0f" $value }} a minute, {{ $value | humanizeDuration }}',
      {
        job: 'hub-query-api',
      },
    );
    expect(pattern.test('hub-query-api: 3 a minute, 17m 0s')).to.equal(true);
    expect(pattern.test('hub-query-api: 3 an hour, 17m 0s')).to.equal(false);
    expect(pattern.test('hub-coordinator: 3 a minute, 17m 0s')).to.equal(false);
    expect(() => toPattern('{{ range $labels }}x{{ end }}', {})).to.throw(
      /\{\{ range \$labels \}\} is not rendered/,
    );
  });
});
