// One record: its fields, the re-verified provenance of its signed original, and its version history.
import { fill, h, tableHead } from './dom.js';
import { fmtDateTime, fmtKg, fmtNumber, label, t } from './i18n.js';
import { countryName, substanceName, termLabel } from './reference.js';

function pairs(list) {
  return h(
    'dl',
    { class: 'pairs' },
    list
      .filter(([, v]) => v !== undefined && v !== null && v !== '')
      .map(([k, v]) => [h('dt', { text: t(k) }), h('dd', { 'data-field': k }, v)]),
  );
}

function table(caption, head, rows) {
  return h(
    'table',
    {},
    caption ? h('caption', { text: caption }) : null,
    tableHead(head.map((k) => t(k))),
    h(
      'tbody',
      {},
      rows.map((r) =>
        h(
          'tr',
          {},
          r.map((c) => h('td', {}, c ?? '')),
        ),
      ),
    ),
  );
}

/** `submittedBy`: the agency system its node authenticated, signed with the report (null: the node asks none). */
function provenanceBox(p, submittedBy) {
  const ok = p.verified === true;
  return h(
    'section',
    { class: `provenance ${ok ? 'ok' : 'bad'}`, 'aria-labelledby': 'provenance-h' },
    h('h3', { id: 'provenance-h', text: t('provenance') }),
    h(
      'p',
      { class: 'verdict', id: 'verdict', 'data-verified': String(ok) },
      h('span', { 'aria-hidden': 'true', text: ok ? '✔ ' : '✘ ' }),
      t(ok ? 'verified' : 'notVerified'),
      p.reason ? ` — ${p.reason}` : '',
    ),
    pairs([
      ['signer', p.signer ? `${countryName(p.signer.origin)} (${p.signer.origin})` : undefined],
      ['submittedBy', submittedBy ? h('code', { text: submittedBy }) : undefined],
      [
        'certificateFingerprint',
        p.signer?.certificateFingerprint ? h('code', { text: p.signer.certificateFingerprint }) : undefined,
      ],
      ['issuedBy', p.issuer ? `${p.issuer.name} (${p.issuer.fingerprint.slice(0, 16)})` : undefined],
      ['signedAt', fmtDateTime(p.signedAt)],
      ['algorithm', p.signatureAlgorithm],
      ['messageId', p.messageId ? h('code', { text: p.messageId }) : undefined],
      ['kafkaPosition', p.topic ? `${p.topic} / ${p.partition} / ${p.offset}` : undefined],
    ]),
    p.certificate
      ? h(
          'details',
          {},
          h('summary', { text: t('certificate') }),
          h('pre', { class: 'pem', text: p.certificate }),
        )
      : null,
  );
}

/** Render the answer of GET /v1/seizures/:reportId. */
export function renderRecord(container, rec) {
  const r = rec.report ?? {};
  const drugs = r.drugs ?? [];
  fill(
    container,
    h(
      'div',
      { class: 'record-grid' },
      h(
        'section',
        { 'aria-labelledby': 'record-facts-h' },
        h('h3', { id: 'record-facts-h', class: 'sr-only', text: t('recordTitle') }),
        pairs([
          ['reportId', h('code', { text: rec.reportId })],
          ['version', String(rec.version)],
          ['status', t(`status_${rec.status}`)],
          [
            'retractedBecause',
            rec.retraction
              ? `${rec.retraction.reason} (${fmtDateTime(rec.retraction.retractedAt)})`
              : undefined,
          ],
          ['seizedAt', fmtDateTime(rec.seizedAt)],
          ['country', countryName(rec.country)],
          [
            'place',
            r.place
              ? `${r.place.name ?? ''}${r.place.lat !== undefined && r.place.lat !== null ? ` (${r.place.lat}, ${r.place.lon})` : ''}`
              : undefined,
          ],
          ['locationType', termLabel('location-types', r.place?.locationType)],
          ['originCountry', countryName(rec.originCountry)],
          ['agency', r.agencyName ?? termLabel('agency-types', r.agency)],
          [
            'conveyance',
            r.conveyance
              ? [termLabel('transport-modes', r.conveyance.mode), r.conveyance.vehicle]
                  .filter(Boolean)
                  .join(', ')
              : undefined,
          ],
          ['concealment', termLabel('concealment-methods', r.concealment)],
          ['detection', termLabel('detection-methods', r.detection)],
          [
            'route',
            (r.route ?? [])
              .map((p) => `${countryName(p.country)}${p.role ? ` (${label('routeRole_', p.role)})` : ''}`)
              .join(' → '),
          ],
          ['arrested', (r.arrested ?? []).map((a) => `${countryName(a.nationality)}: ${a.count}`).join(', ')],
          ['handling', `TLP:${rec.handling.tlp}`],
          ['releasableTo', (rec.handling.releasableTo ?? []).join(', ')],
          ['evaluation', rec.handling.evaluation],
          ['receivedAt', fmtDateTime(rec.receivedAt)],
          ['notes', r.notes],
        ]),
        drugs.length
          ? table(
              t('drugs'),
              ['drug', 'quantity', 'unit', 'quantityKg', 'form', 'purity'],
              // A line counted, not weighed (plants) has no kilograms (quantityKg null): said so, not shown as 0 kg.
              drugs.map((d) => [
                substanceName(d.substance),
                fmtNumber(d.quantity, 3),
                termLabel('units', d.unit),
                fmtKg(d.quantityKg),
                termLabel('drug-forms', d.form),
                d.purityPct === null || d.purityPct === undefined ? '' : fmtNumber(d.purityPct, 1),
              ]),
            )
          : null,
      ),
      // The provenance is that of the current version's message: the retraction's, once withdrawn.
      provenanceBox(
        rec.provenance ?? { verified: false },
        rec.status === 'retracted' ? rec.retraction?.submittedBy : r.submittedBy,
      ),
    ),
    h(
      'section',
      { class: 'history', 'aria-labelledby': 'history-h' },
      h('h3', { id: 'history-h', text: t('history') }),
      table(
        null,
        ['version', 'status', 'receivedAt', 'supersededAt', 'messageId'],
        (rec.history ?? []).map((v) => [
          String(v.version),
          t(`status_${v.status}`),
          fmtDateTime(v.receivedAt),
          v.supersededAt ? fmtDateTime(v.supersededAt) : t('current'),
          h('code', { text: v.messageId ?? '' }),
        ]),
      ),
    ),
  );
}
