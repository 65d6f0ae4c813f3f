// Unit tier: the dashboard's form that asks a country (services/query-api/public/ask.js) follows a request past its
// first minute while it is sent and the hub's intake has not decided, less and less often, and shows the intake's
// refusal with why when it comes. The DOM is a stand-in, the query API an answering function, the clock the test's.
import { expect } from 'chai';
import { dashboardModule, loadDashboardReference, unloadDashboardReference } from './dashboard-support';
import { element, event, installDom, type StandInDocument, type StandInElement } from './dom-stand-in';

interface AskModule {
  createAskForm(o: {
    api: unknown;
    claims: () => unknown;
    onAsked: () => void;
    wait: (ms: number) => Promise<void>;
    now: () => number;
  }): unknown;
}

/** The ask form's markup (index.html), as ask.js finds it by id. */
function askView(doc: StandInDocument): StandInElement {
  doc.body.replaceChildren();
  const section = element(doc, 'details', { id: 'ask-section' });
  const form = element(doc, 'form', { id: 'ask-form' }, section);
  for (const [id, name] of [
    ['ask-to', 'to'],
    ['ask-urgency', 'urgency'],
    ['ask-tlp', 'tlp'],
    ['ask-subject-kind', 'subjectKind'],
    ['ask-subject-ref', 'subjectRef'],
    ['ask-purpose', 'purpose'],
    ['ask-question', 'question'],
  ] as const)
    element(doc, 'input', { id, name }, form);
  element(doc, 'button', { id: 'ask-send', type: 'submit' }, form);
  element(doc, 'p', { id: 'ask-status', class: 'muted' }, form);
  return form;
}

const ID = '6c1d7a52-3f0e-4c55-9d0b-1f2e3a4b5c6d';
const MINUTE = 60_000;

describe('dashboard ask form', () => {
  let dom: ReturnType<typeof installDom>;
  let ask: AskModule;
  before(async () => {
    dom = installDom();
    ask = await dashboardModule<AskModule>('ask.js');
    (await dashboardModule<{ setLang(l: string): void }>('i18n.js')).setLang('en');
    await loadDashboardReference();
  });
  after(async () => {
    await unloadDashboardReference();
    dom.restore();
  });

  /**
   * The form wired to an API whose GET /v1/requests/asked/:id answers `answer(elapsed)`, on a clock that moves only
   * as the form waits; resolves once the form stops following, with what it asked, when, and what it said.
   */
  async function follow(answer: (elapsed: number) => Record<string, unknown>) {
    const form = askView(dom.document);
    let clock = 0;
    const polls: number[] = [];
    const said: { at: number; kind: string; text: string }[] = [];
    let told = 0;
    const api = {
      async post() {
        return { requestId: ID, state: 'queued' };
      },
      async get(path: string) {
        expect(path).to.equal(`/v1/requests/asked/${ID}`);
        polls.push(clock);
        // A day of following at most: the test's guard against a form that never stops.
        if (clock > 24 * 60 * MINUTE) throw Object.assign(new Error('followed for a day'), { status: 418 });
        return { requestId: ID, ...answer(clock) };
      },
    };
    const status = () => dom.document.getElementById('ask-status')!;
    ask.createAskForm({
      api,
      claims: () => ({ role: 'coordinator' }),
      onAsked: () => told++,
      wait: async (ms) => {
        said.push({ at: clock, kind: status().className, text: status().textContent });
        clock += ms;
      },
      now: () => clock,
    });
    await form.dispatchEvent(event('submit'));
    return { polls, said, told, status: status() };
  }

  it("follows a sent request past the first minute, less often, and shows the intake's refusal with why", async () => {
    const why =
      "the hub's intake refused it once sent (invalid-content; quarantine entry hub.node.HUB.out:0:17): dueAt: 2026-03-14T08:00:00.000Z was already past when the hub received the request";
    // Queued 2 minutes (the brokers away), then sent, refused by the intake 2 hours after it was asked.
    const { polls, said, told, status } = await follow((elapsed) =>
      elapsed < 2 * MINUTE
        ? { state: 'queued' }
        : elapsed < 120 * MINUTE
          ? { state: 'sent' }
          : { state: 'refused', error: { code: 'QUARANTINED', message: why } },
    );
    expect(polls.at(-1)).to.be.at.least(120 * MINUTE);
    expect(status.className).to.equal('error');
    expect(status.textContent).to.contain(why);
    expect(told).to.equal(1);
    // Every second for the first minute; then at least 10 s apart, at most 5 minutes.
    expect(polls.filter((t) => t <= MINUTE).length).to.be.at.least(59);
    const gaps = polls
      .slice(1)
      .map((t, i) => ({ at: t, gap: t - polls[i]! }))
      .filter((g) => g.at > MINUTE + 1000);
    expect(Math.min(...gaps.map((g) => g.gap))).to.be.at.least(10_000);
    expect(Math.max(...gaps.map((g) => g.gap))).to.be.at.most(5 * MINUTE);
    // Fewer than a poll a minute over the hours between.
    expect(gaps.length).to.be.below(60);
    // Meanwhile it said the request was still on its way, by its id, not that it failed.
    const later = said.filter((s) => s.at >= MINUTE);
    expect(later.length).to.be.above(0);
    for (const s of later) {
      expect(s.kind).to.equal('muted');
      expect(s.text).to.contain(ID);
    }
  });

  it('shows the request stored once the intake takes it, however late', async () => {
    const { status, told } = await follow((elapsed) =>
      elapsed < 30 * MINUTE
        ? { state: 'sent' }
        : { state: 'stored', request: { requestId: ID, addressee: 'UZ', requester: 'HUB' } },
    );
    expect(status.className).to.equal('ok');
    expect(status.textContent).to.contain(ID);
    expect(told).to.equal(1);
  });
});
