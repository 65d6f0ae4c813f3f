// Unit tier: the Kafka cluster id infra/production formats its brokers with. Kafka reads it with
// org.apache.kafka.common.Uuid.fromString: base64url of exactly 16 bytes (22 characters unpadded); the apache/kafka
// image's first start formats the storage with CLUSTER_ID, and any other length makes it fail there.
import { expect } from 'chai';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { load } from 'js-yaml';
import { repoRoot } from '@hub/config';

const production = join(repoRoot, 'infra', 'production');

/** Why Kafka would refuse `id` as a cluster id (Uuid.fromString, and the ids StorageTool keeps for itself), or undefined. */
function clusterIdProblem(id: string): string | undefined {
  if (id.length > 24) return `${id.length} characters: too long for a base64 UUID`;
  // Java's URL-safe decoder takes this alphabet and padding only.
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(id)) return 'not base64url';
  const bytes = Buffer.from(id, 'base64url');
  if (bytes.length !== 16) return `decodes to ${bytes.length} bytes, not the 16 of a UUID`;
  // Uuid.ZERO_UUID and Uuid.METADATA_TOPIC_ID (0, 1) are reserved.
  if (bytes.subarray(0, 15).every((b) => b === 0) && bytes[15]! <= 1) return 'a reserved UUID';
  return undefined;
}

/** Every committed file of infra/production, by path. */
function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const path = join(dir, f);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

describe('production layout: the Kafka cluster id', () => {
  it("reads cluster ids as Kafka's Uuid.fromString does", () => {
    expect(clusterIdProblem('c2VpenVyZS1odWItcHJkMQ')).to.equal(undefined); // 'seizure-hub-prd1'
    expect(clusterIdProblem('c2VpenVyZS1odWItcHJvZDE')).to.equal('decodes to 17 bytes, not the 16 of a UUID');
    expect(clusterIdProblem('AAAAAAAAAAAAAAAAAAAAAA')).to.equal('a reserved UUID');
    expect(clusterIdProblem('c2VpenVyZS1odWItcHJkMQ+/')).to.equal('not base64url');
  });

  it('has every committed cluster id decode to a 16-byte UUID', () => {
    type Compose = {
      'x-kafka'?: { environment?: Record<string, unknown> };
      services: Record<string, { environment?: Record<string, unknown> }>;
    };
    const compose = load(readFileSync(join(production, 'docker-compose.yml'), 'utf8')) as Compose;
    const brokers = Object.entries(compose.services).filter(([name]) => /^kafka-\d+$/.test(name));
    expect(brokers).to.have.length(3);
    // One cluster: every broker formats with the same id.
    const ids = new Set(brokers.map(([, s]) => String(s.environment?.CLUSTER_ID)));
    expect([...ids]).to.have.length(1);
    // And any other id committed anywhere in the layout (CLUSTER_ID: or cluster.id=).
    const found = files(production).flatMap((f) =>
      [...readFileSync(f, 'utf8').matchAll(/(?:CLUSTER_ID["']?\s*[:=]\s*|cluster\.id=)["']?([^\s"']+)/g)].map(
        (m) => ({ file: relative(repoRoot, f), id: m[1]! }),
      ),
    );
    expect(found.map((f) => f.id)).to.include.members([...ids]);
    for (const { file, id } of found)
      expect(clusterIdProblem(id), `${file}: CLUSTER_ID ${id}`).to.equal(undefined);
  });
});
