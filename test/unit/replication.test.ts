// Unit tier: topics are made on as many brokers as the cluster has, up to 3, whatever replication factor the
// configuration gave (one bootstrap address and no HUB_KAFKA_REPLICATION_FACTOR gave 1).
import { expect } from 'chai';
import { nodeTopicConfigs, replicatedOnCluster, topicNames } from '@hub/kafka';

describe('replication of the topics the hub makes (replicatedOnCluster)', () => {
  const planned = nodeTopicConfigs(topicNames(''), 'KZ', { partitions: 3, replicationFactor: 1 });
  const isr = (t: (typeof planned)[number]) =>
    t.configEntries?.find((c) => c.name === 'min.insync.replicas')?.value;

  it('raises a factor below the cluster (up to 3), with min.insync.replicas 2', () => {
    for (const t of replicatedOnCluster(planned, 5)) {
      expect(t.replicationFactor).to.equal(3);
      expect(isr(t)).to.equal('2');
      expect(t.configEntries?.find((c) => c.name === 'retention.ms')?.value, 'the rest kept').to.equal('-1');
    }
    expect(replicatedOnCluster(planned, 2).map((t) => [t.replicationFactor, isr(t)])).to.deep.equal([
      [2, '2'],
      [2, '2'],
    ]);
  });

  it('keeps a factor the cluster already meets, and one broker as one', () => {
    expect(replicatedOnCluster(planned, 1)).to.deep.equal(planned);
    const three = nodeTopicConfigs(topicNames(''), 'KZ', { partitions: 3, replicationFactor: 3 });
    expect(replicatedOnCluster(three, 3)).to.deep.equal(three);
  });
});
