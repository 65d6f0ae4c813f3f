// Demo information requests, so that the dashboard's co-operation view has something to show from the start: a
// country asks its neighbour about a plate and is answered, another asks urgently about a route and waits, and the
// coordination node asks a country (`hub ask`). Each through the national nodes' own API, as an agency would.
import { agencyFetch, agencyHeaders } from '../cli/agency-headers';

async function post(url: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await agencyFetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...agencyHeaders() },
    body: JSON.stringify(body),
  });
  const answer = (await res.json()) as Record<string, unknown>;
  if (res.status !== 202) throw new Error(`${url}: ${res.status} ${JSON.stringify(answer).slice(0, 300)}`);
  return answer;
}

/** Resolves once `requestId` has reached the node at `url` (delivered by the coordinator), false after `ms`. */
async function arrived(url: string, requestId: string, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const res = await agencyFetch(`${url}/v1/requests?direction=incoming`, { headers: agencyHeaders() });
    const list = ((await res.json()) as { requests?: { requestId: string }[] }).requests ?? [];
    if (list.some((r) => r.requestId === requestId)) return true;
    await new Promise((r) => setTimeout(r, 500));
  }
  return false;
}

/**
 * Three requests between the first demo countries (two at least): answered, open, and one of the coordination
 * node's, asked with `ask` (the `hub ask` arguments). Resolves to how many were made; failures are logged, not
 * thrown: the demo reports matter more.
 */
export async function postDemoRequests(
  nodes: Record<string, string>,
  ask: (args: string[]) => Promise<unknown>,
  log: (line: string) => void,
): Promise<number> {
  const [a, b, c = a] = Object.keys(nodes) as [string, string | undefined, string | undefined];
  if (!b) return 0;
  let made = 0;
  try {
    const asked = await post(`${nodes[a]}/v1/requests`, {
      to: b,
      subjectKind: 'identifier',
      subjectRef: 'plate 777ABC02',
      purpose: 'criminal investigation: heroin seized at Khorgos',
      question: 'Has this truck crossed your borders this year, and with which driver?',
      handling: { tlp: 'AMBER', releasableTo: [b] },
    });
    made++;
    const requestId = String(asked.requestId);
    if (await arrived(nodes[b]!, requestId, 30000)) {
      await post(`${nodes[b]}/v1/requests/${requestId}/response`, {
        answer: 'Yes: twice in March, with the same driver; both crossings empty on the way back.',
      });
    } else log(`the demo request ${a} → ${b} did not reach ${b}'s node within 30 s; left unanswered`);

    await post(`${nodes[b]}/v1/requests`, {
      to: c,
      subjectKind: 'route',
      subjectRef: 'AF>TJ>KZ',
      urgency: 'urgent',
      purpose: 'joint operation planning',
      question: 'Which crossings does the convoy of last week use?',
      handling: { tlp: 'RED' },
    });
    made++;

    await ask([
      c,
      '--purpose',
      'regional threat assessment',
      '--question',
      'How many seizures of over 100 kg of heroin did your agencies make this year?',
      '--tlp',
      'GREEN',
    ]);
    made++;
  } catch (err) {
    log(`a demo information request failed: ${(err as Error).message}`);
  }
  return made;
}
