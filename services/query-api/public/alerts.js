// The cross-border alerts visible to the caller (GET /v1/alerts), newest first, a page at a time: `more` (when given)
// loads the next older page.
import { fill, focusAfterPaging, h } from './dom.js';
import { fmtDateTime, fmtNumber, has, t } from './i18n.js';
import { countryName, termLabel } from './reference.js';

function createdAt(a) {
  return typeof a.createdAt === 'number' || typeof a.createdAt === 'string' ? a.createdAt : undefined;
}

/** The coordinator's route window (ROUTE_WINDOW_MS of correlate.ts), in days, as its reason sentence names it. */
const ROUTE_WINDOW_DAYS = 30;

/**
 * The English sentences the coordinator and the query API write an alert's reason with (correlate.ts alertReason,
 * store alerts.ts withheldReason and the note of older seizures), each for its number, and the translated one for it.
 * A reason is translated only when each of its parts is one of these, word for word, for the alert's own rule and
 * identifier kind; a test keeps them in step with the server's.
 */
const RULE_SENTENCE = {
  shared_identifier: (kind, n) => ({
    en: `${n} reports name the same ${kind ?? 'conveyance'} identifier`,
    text: kind
      ? t('reason_shared_identifier', { n, kind: termLabel('identifier-kinds', kind) })
      : t('reason_shared_identifier_any', { n }),
  }),
  linked_case: (kind, n) => ({
    en: `${n} reports are linked to the same ${kind ?? 'case'}`,
    text: kind && kind !== 'case' ? t('reason_linked_case', { n, kind }) : t('reason_linked_case_any', { n }),
  }),
  route_and_concealment: (_kind, n) => ({
    en: `${n} reports within ${ROUTE_WINDOW_DAYS} days share the route and the concealment method`,
    text: t('reason_route_and_concealment', { n, days: ROUTE_WINDOW_DAYS }),
  }),
};

const NOTES = [
  (n) => ({
    en: `${n} ${n === 1 ? 'report' : 'reports'} you may not read ${n === 1 ? 'matches' : 'match'} yours`,
    text: t('reasonWithheldOwn', { n }),
  }),
  (n) => ({
    en: `${n} of them, which you may not read, ${n === 1 ? 'is' : 'are'} withheld by their handling`,
    text: t('reasonWithheld', { n }),
  }),
  (n) => ({ en: `${n} more, of older seizures, are not named`, text: t('reasonOlder', { n }) }),
];

/**
 * The alert's reason in the current language, built from its rule, its identifier kind and the numbers its reason
 * gives (how many reports the alert names in all, including those withheld from the caller, is said only there);
 * the server's English sentence when it is not one the dashboard knows.
 */
export function reasonText(a) {
  const reason = typeof a.reason === 'string' ? a.reason : '';
  const parts = reason.split('; ');
  const numberOf = (part) => (/^\d+ /.test(part) ? Number(part.slice(0, part.indexOf(' '))) : null);
  const rule = RULE_SENTENCE[a.rule];
  const first = numberOf(parts[0]);
  const head = rule && first !== null ? rule(a.identifierKind ?? null, first) : null;
  if (!head || head.en !== parts[0]) return reason;
  const texts = [head.text];
  for (const part of parts.slice(1)) {
    const n = numberOf(part);
    const note = n === null ? undefined : NOTES.map((f) => f(n)).find((x) => x.en === part);
    if (!note) return reason;
    texts.push(note.text);
  }
  return texts.join('; ');
}

/**
 * Draw `alerts`; after an older page (`more`, which resolves once it is drawn) the focus moves to the button drawn
 * anew, or, when none is left, to the first alert added.
 */
export function renderAlerts(container, alerts, more) {
  if (!alerts.length) return fill(container, h('p', { class: 'empty', text: t('alertsEmpty') }));
  const older = async () => {
    const before = container.querySelectorAll('li.alert').length;
    await more();
    focusAfterPaging('alerts-older', container.querySelectorAll('li.alert')[before]);
  };
  return fill(
    container,
    list(alerts),
    more ? h('button', { type: 'button', id: 'alerts-older', text: t('alertsOlder'), onclick: older }) : null,
  );
}

function list(alerts) {
  return h(
    'ul',
    { class: 'alerts' },
    alerts.map((a) =>
      h(
        'li',
        {
          class: 'alert',
          'data-alert-id': a.alertId ?? a._id,
          'data-focus-key': `alert:${a.alertId ?? a._id}`,
        },
        h(
          'h3',
          {},
          t(has(`rule_${a.rule}`) ? `rule_${a.rule}` : 'rule_unknown'),
          ' ',
          h('span', {
            class: 'badge',
            text: t('alertScore', { score: `${fmtNumber((a.score ?? 0) * 100, 0)}%` }),
          }),
        ),
        h(
          'p',
          { class: 'meta' },
          fmtDateTime(createdAt(a)),
          ' · ',
          (a.countries ?? []).map(countryName).join(', '),
        ),
        a.reason ? h('p', { class: 'reason', text: reasonText(a) }) : null,
        (a.matched ?? []).length
          ? h(
              'p',
              {},
              `${t('alertMatched')}: `,
              a.matched.map((m, i) => [
                i ? ', ' : '',
                // One report may be named by several alerts: the focus finds the link again by both (focus.js).
                h('a', {
                  href: `#/record/${m.reportId}`,
                  'data-focus-key': `${a.alertId ?? a._id}:${m.reportId}`,
                  text: `${countryName(m.country)} v${m.version}`,
                }),
              ]),
            )
          : null,
      ),
    ),
  );
}
