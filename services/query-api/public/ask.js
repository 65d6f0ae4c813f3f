// Coordinators ask a country for information (POST /v1/requests), as the coordination node. The query API queues
// the request and the coordinator signs and sends it: this form follows it (GET /v1/requests/asked/:id) until it is
// stored or refused (also by the hub's intake once sent), and then has the list of requests loaded again.
import { apiDescription } from './api.js';
import { byId, fill, h } from './dom.js';
import { getLang, has, t } from './i18n.js';
import { countryName, memberCountries } from './reference.js';

const FOLLOW_EVERY_MS = 1000;
const FOLLOW_FOR_MS = 60000;
// Past the first minute, one still queued or sent without the intake's verdict (brokers away, an intake behind) is
// followed less and less often, for as long as the page stays open: its refusal may come hours later.
const SLOW_FIRST_MS = 10000;
const SLOW_MOST_MS = 300000;

const pause = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * `claims()` gives the signed-in token's claims; `onAsked()` is told once a request is stored or refused. `wait(ms)`
 * and `now()` are the form's clock (setTimeout and Date.now).
 */
export function createAskForm({ api, claims, onAsked, wait = pause, now = Date.now }) {
  const form = byId('ask-form');
  const section = byId('ask-section');
  const status = byId('ask-status');
  // A newer submission (or a sign-out) stops following the one before.
  let run = 0;

  function say(text, kind = 'muted', details = []) {
    status.className = kind;
    fill(
      status,
      text,
      details.length
        ? h(
            'ul',
            { class: 'field-errors' },
            details.map((d) => h('li', { 'data-field': d.field, text: `${d.field}: ${d.message}` })),
          )
        : null,
    );
  }

  // Built once per language: a periodic reload of the view leaves the choice being made alone.
  let builtFor = '';
  function renderCountries() {
    const select = byId('ask-to');
    if (builtFor === getLang() && select.options.length) return;
    builtFor = getLang();
    const chosen = select.value;
    const codes = memberCountries().sort((a, b) => countryName(a).localeCompare(countryName(b)));
    fill(
      select,
      codes.map((c) => h('option', { value: c, text: countryName(c), selected: c === chosen })),
    );
  }

  // The longest text each field takes, as the API describes its request body (AskIn): set once it is read. Without
  // it the form takes any length, and the API's refusal names the field.
  let limited = false;
  function limitFields() {
    if (limited) return;
    limited = true;
    apiDescription()
      .then((spec) => {
        const fields = spec.components.schemas.AskIn.properties;
        for (const [id, name] of [
          ['ask-subject-ref', 'subjectRef'],
          ['ask-purpose', 'purpose'],
          ['ask-question', 'question'],
        ])
          byId(id).maxLength = fields[name].maxLength;
      })
      .catch(() => (limited = false));
  }

  /** Shown to coordinators only (the API refuses the others); country names in the current language. */
  function render() {
    const mayAsk = claims()?.role === 'coordinator';
    section.hidden = !mayAsk;
    if (mayAsk) {
      renderCountries();
      limitFields();
    }
  }

  function body() {
    const value = (id) => byId(id).value.trim();
    return {
      to: value('ask-to'),
      urgency: value('ask-urgency'),
      subjectKind: value('ask-subject-kind'),
      ...(value('ask-subject-ref') ? { subjectRef: value('ask-subject-ref') } : {}),
      purpose: value('ask-purpose'),
      question: value('ask-question'),
      handling: { tlp: value('ask-tlp'), releasableTo: [] },
    };
  }

  /** Where the request stands; undefined when the API could not be reached (or failed) this time. */
  async function standing(requestId, patient) {
    try {
      return await api.get(`/v1/requests/asked/${encodeURIComponent(requestId)}`);
    } catch (err) {
      // Past the first minute a lost connection or a failing API is waited out: the request is at the hub.
      if (patient && (err.code === 'NETWORK' || err.status >= 500)) return undefined;
      throw err;
    }
  }

  /** Why the request was refused: by the coordinator before it was sent, or by the hub's intake once sent. */
  function refusal(error) {
    const key = error.code === 'QUARANTINED' ? 'askRefusedOnIntake' : 'askRefused';
    return t(key, { message: error.message });
  }

  async function follow(requestId, mine) {
    const slowFrom = now() + FOLLOW_FOR_MS;
    let every = FOLLOW_EVERY_MS;
    let shown = '';
    while (mine === run) {
      const slow = now() >= slowFrom;
      const asked = await standing(requestId, slow);
      if (mine !== run) return;
      if (asked?.state === 'stored') {
        say(t('askStored', { id: requestId, country: countryName(asked.request.addressee) }), 'ok');
        form.reset();
        onAsked();
        return;
      }
      if (asked?.state === 'refused') {
        say(refusal(asked.error), 'error', asked.error.errors ?? []);
        onAsked();
        return;
      }
      if (slow) {
        // Said once per state: a screen reader hears the status line each time it changes.
        const state = asked?.state ?? shown;
        if (state && state !== shown) {
          shown = state;
          say(
            state === 'sent'
              ? t('askSentWaiting', { id: requestId })
              : t('askStillQueued', { id: requestId }),
          );
        }
        every = Math.min(Math.max(every * 2, SLOW_FIRST_MS), SLOW_MOST_MS);
      }
      await wait(every);
    }
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const mine = ++run;
    const send = byId('ask-send');
    send.disabled = true;
    say(t('askSending'));
    try {
      const queued = await api.post('/v1/requests', body());
      // Signed out (or asked anew) meanwhile: the request's id is not shown to whoever is there now.
      if (mine !== run) return;
      say(t('askQueued', { id: queued.requestId }));
      send.disabled = false;
      await follow(queued.requestId, mine);
    } catch (err) {
      if (err.status === 401 || mine !== run) return; // signed out already
      if (err.errors?.length) say(t('askInvalid'), 'error', err.errors);
      else if (err.code === 'NETWORK') say(t('errNetwork'), 'error');
      else
        say(has(err.code) ? `${t(err.code)} (${err.message})` : `${t('errGeneric')} ${err.message}`, 'error');
    } finally {
      if (mine === run) send.disabled = false;
    }
  });

  return {
    render,
    clear() {
      run++;
      form.reset();
      say('');
      section.hidden = true;
      section.open = false;
    },
  };
}
