// Live updates from the regional feeds (GET /v1/feeds/:region/stream). The events are read with fetch rather than
// EventSource so that the bearer token travels in a header, never in a URL; each event only asks for a refresh.

/** Split complete server-sent events off `buffer`; returns their types and the incomplete rest. */
export function parseEvents(buffer) {
  const blocks = buffer.split('\n\n');
  const rest = blocks.pop();
  const types = blocks
    .map((b) => /^event: ?(.*)$/m.exec(b)?.[1] ?? (/^data:/m.test(b) ? 'message' : null))
    .filter(Boolean);
  return { types, rest };
}

/** The first wait before connecting again, and the longest: it doubles while connecting fails. */
export const RETRY_FIRST_MS = 2000;
export const RETRY_MAX_MS = 60000;

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Follow the feeds of `regions`; `onEvent(type)` for every record, `onState(region, 'on'|'off')` as streams open
 * and close. A refused stream (no such feed for this caller) stays closed; a broken one, or one refused for now (too
 * many open, the hub unwell), reconnects with backoff: the wait doubles while connecting fails, and starts again from
 * the first once a stream has opened (a stream the hub ends, as it does when it stops, is no reason to wait longer).
 * `wait(ms)` is how a wait is made (tests hand in their own).
 */
export function followFeeds({ regions, token, onEvent, onState, wait = pause }) {
  const controller = new AbortController();
  const follow = async (region) => {
    let delay = RETRY_FIRST_MS;
    while (!controller.signal.aborted) {
      try {
        const res = await fetch(`/v1/feeds/${encodeURIComponent(region)}/stream`, {
          headers: { authorization: `Bearer ${token()}`, accept: 'text/event-stream' },
          signal: controller.signal,
        });
        // Too many streams of this caller open (429), or the hub unwell (5xx): tried again later. Any other refusal
        // (no such feed for this caller) is for good.
        if (res.status === 429 || res.status >= 500) throw new Error(`HTTP ${res.status}`);
        if (!res.ok) return onState(region, 'off');
        onState(region, 'on');
        delay = RETRY_FIRST_MS;
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          const parsed = parseEvents(buffer + value);
          buffer = parsed.rest;
          for (const type of parsed.types) if (type !== 'ready') onEvent(type);
        }
      } catch {
        if (controller.signal.aborted) return;
      }
      onState(region, 'off');
      await wait(delay);
      delay = Math.min(delay * 2, RETRY_MAX_MS);
    }
  };
  regions.forEach(follow);
  return { stop: () => controller.abort() };
}

const REAL_CLOCK = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id),
};

/**
 * Paces the refreshes that feed events ask for (`poke()`): records come in bursts, and each refresh costs a dozen
 * requests and as many audit entries, so one refresh answers every event of `settleMs` (the first event waits that
 * long for the rest of its burst), and a refresh starts no sooner than `gapMs` after the previous refresh ended,
 * however the events are spaced. `refresh()` may return a promise; the next is not started before it settles.
 * The other refreshes (the periodic one, one asked for by hand) count too: `busy()` says whether one is under way, and
 * `ended()` is to be called as any refresh ends; a paced refresh due during one waits for its end and the gap after it,
 * rather than start straight after it. `stop()` ends the pacing (a sign-out). `clock` gives `now`, `setTimeout` and
 * `clearTimeout` (tests hand in their own).
 */
export function paceRefresh(
  refresh,
  { settleMs = 300, gapMs = 5000, clock = REAL_CLOCK, busy = () => false } = {},
) {
  const now = () => clock.now();
  let timer = null;
  let running = false;
  let pending = false;
  let stopped = false;
  let lastEnd = -Infinity;
  const schedule = () => {
    if (timer !== null || running || stopped) return;
    const at = Math.max(now() + settleMs, lastEnd + gapMs);
    timer = clock.setTimeout(fire, at - now());
  };
  const fire = async () => {
    timer = null;
    // Run now, it would start the moment the refresh under way ends: it waits for ended() instead.
    if (busy()) {
      pending = true;
      return;
    }
    running = true;
    pending = false;
    try {
      await refresh();
    } catch {
      // the refresh shows its own errors
    } finally {
      running = false;
      lastEnd = now();
      if (pending) schedule();
    }
  };
  return {
    poke() {
      if (stopped) return;
      // An event during a refresh may bring a record it did not read: one more refresh, after the gap.
      if (running) pending = true;
      else schedule();
    },
    ended() {
      if (stopped) return;
      lastEnd = now();
      // One due is counted again from this end.
      if (timer !== null) {
        clock.clearTimeout(timer);
        timer = null;
        pending = true;
      }
      if (pending) schedule();
    },
    stop() {
      stopped = true;
      if (timer !== null) clock.clearTimeout(timer);
      timer = null;
    },
  };
}
