// The coordinator's certificate renewed while it runs, on the real stack: the renewed certificate put in its folder
// is announced on hub.pki and countersigns everything from then on; the nodes verify the receipts signed with it, and
// the query API's feed streams the records countersigned with it, without a restart of anything.
import { expect } from 'chai';
import { join } from 'node:path';
import { HUB_ORIGIN } from '@hub/envelope';
import type { Tail } from '@hub/kafka';
import { createLogger } from '@hub/observability';
import { PkiStore } from '@hub/pki';
import { createTestEnv, waitUntil, type TestEnv } from '../support/env';
import { metricValue, startTestHub, type TestHub } from '../support/hub';
import { postAccepted, receiptSigners as followReceipts } from '../support/receipts';
import { openStream } from '../support/stream';

describe('coordinator: a renewed certificate taken up without a restart', function () {
  this.timeout(180000);
  let env: TestEnv;
  let hub: TestHub | undefined;
  let inTopic: Tail | undefined;
  const logged: Record<string, unknown>[] = [];
  /** The signer of each receipt KZ's node was sent, by the report it answers. */
  let receiptSigners = new Map<string, string>();

  before(async () => {
    env = createTestEnv('coordinator-renewal');
    hub = await startTestHub(env, ['KZ'], {
      certificateCheckMs: 300,
      logger: createLogger('coordinator', {
        destination: {
          write: (line: string) => void logged.push(JSON.parse(line) as Record<string, unknown>),
        },
      }),
    });
    ({ signers: receiptSigners, tail: inTopic } = await followReceipts(env, 'KZ'));
  });
  after(async () => {
    await inTopic?.stop();
    await hub?.close();
    env?.cleanup();
  });

  const accepted = () => postAccepted(hub!.nodes.KZ!.url);

  it('announces it, countersigns with it from then on, and its receipts and feed records are taken', async () => {
    const reader = await openStream(
      `${hub!.apiUrl}/v1/feeds/central-asia/stream`,
      hub!.token('coordinator', 'KZ', 'RED'),
    );
    try {
      const pki = new PkiStore(join(env.config.hubHome, 'pki'));
      const first = pki.identity(HUB_ORIGIN).fingerprint;
      const before = await accepted();

      const renewed = pki.issue({ country: HUB_ORIGIN, agency: 'Regional coordination centre' });
      await waitUntil('the renewal taken up', async () =>
        logged.find((l) => String(l.msg).startsWith('renewed certificate taken up')),
      );
      expect(
        await metricValue(hub!.coordinator.opsUrl, 'hub_certificate_expiry_timestamp_seconds', {
          role: 'own',
          subject: HUB_ORIGIN,
        }),
      ).to.equal(Math.floor(renewed.notAfter.getTime() / 1000));
      const after = await accepted();

      await waitUntil('both receipts read from KZ’s topic', () => receiptSigners.has(after) || undefined);
      expect(receiptSigners.get(before), 'the receipt before the renewal').to.equal(first);
      expect(receiptSigners.get(after), 'the receipt after it').to.equal(renewed.fingerprint);
      const streamed = () =>
        reader.events.filter((e) => e.event === 'SeizureReport').map((e) => e.data.subjectId);
      await waitUntil('both feed records streamed', () => streamed().includes(after) || undefined, 30000);
      expect(streamed()).to.include.members([before, after]);
    } finally {
      reader.close();
    }
  });
});
