// The cross-border alerts visible to the caller (GET /v1/alerts), newest first, a page at a time: `more` (when given)
// loads the next older page.
import { fill, h } from './dom.js';
import { fmtDateTime, fmtNumber, has, t } from './i18n.js';
import { countryName } from './reference.js';

function createdAt(a) {
  return typeof a.createdAt === 'number' || typeof a.createdAt === 'string' ? a.createdAt : undefined;
}

export function renderAlerts(container, alerts, more) {
  if (!alerts.length) return fill(container, h('p', { class: 'empty', text: t('alertsEmpty') }));
  return fill(
    container,
    list(alerts),
    more ? h('button', { type: 'button', id: 'alerts-older', text: t('alertsOlder'), onclick: more }) : null,
  );
}

function list(alerts) {
  return h(
    'ul',
    { class: 'alerts' },
    alerts.map((a) =>
      h(
        'li',
        { class: 'alert', 'data-alert-id': a.alertId ?? a._id },
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
        a.reason ? h('p', { class: 'reason', text: a.reason }) : null,
        (a.matched ?? []).length
          ? h(
              'p',
              {},
              `${t('alertMatched')}: `,
              a.matched.map((m, i) => [
                i ? ', ' : '',
                h('a', { href: `#/record/${m.reportId}`, text: `${countryName(m.country)} v${m.version}` }),
              ]),
            )
          : null,
      ),
    ),
  );
}
