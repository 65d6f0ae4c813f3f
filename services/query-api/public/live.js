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

/**
 * Follow the feeds of `regions`; `onEvent(type)` for every record, `onState(region, 'on'|'off')` as streams open
 * and close. A refused stream (no such feed for this caller) stays closed; a broken one, or one refused for now (too
 * many open, the hub unwell), reconnects with backoff.
 */
export function followFeeds({ regions, token, onEvent, onState }) {
  const controller = new AbortController();
  const follow = async (region) => {
    for (let delay = 2000; !controller.signal.aborted; delay = Math.min(delay * 2, 60000)) {
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
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  };
  regions.forEach(follow);
  return { stop: () => controller.abort() };
}
