import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HubError } from '@hub/errors';
import { loadRegions, parseRegions } from '../src/regions';

/** The HubError parseRegions throws for `raw` (fails the test if it throws none). */
const refusal = (raw: unknown): HubError => {
  try {
    parseRegions(raw);
  } catch (err) {
    expect(err).to.be.instanceOf(HubError);
    return err as HubError;
  }
  throw new Error('parseRegions took a malformed regions file');
};
const labels = { en: 'Central Asia' };

describe('regions file', () => {
  it('loads the shipped regions, each with members', () => {
    const regions = loadRegions();
    expect(regions.map((r) => r.id)).to.include('central-asia');
    for (const r of regions) expect(r.members.length, r.id).to.be.greaterThan(0);
  });

  it('refuses members that are no list, naming the field, the value and the rule', () => {
    const err = refusal({ 'central-asia': { labels, members: 'KZ,KG' } });
    expect(err.code).to.equal('INVALID_REGIONS');
    expect(err.details).to.include({ field: 'central-asia.members', value: 'KZ,KG' });
    expect(err.details.rule).to.match(/list of ISO country codes/);
    expect(err.message).to.contain('central-asia.members');
  });

  it('refuses a missing members list', () => {
    expect(refusal({ 'central-asia': { labels } }).details.field).to.equal('central-asia.members');
  });

  it('refuses a member that is no ISO country code, and one named twice', () => {
    const bad = refusal({ 'central-asia': { labels, members: ['KZ', 'kg'] } });
    expect(bad.details).to.include({ field: 'central-asia.members[1]', value: 'kg' });
    const twice = refusal({ 'central-asia': { labels, members: ['KZ', 'KG', 'KZ'] } });
    expect(twice.details).to.include({ field: 'central-asia.members[2]', value: 'KZ' });
  });

  it('refuses a region id that cannot name a topic, and labels that are no texts', () => {
    expect(refusal({ 'Central Asia': { labels, members: ['KZ'] } }).details.field).to.equal('Central Asia');
    expect(refusal({ 'central-asia': { labels: 'CA', members: ['KZ'] } }).details.field).to.equal(
      'central-asia.labels',
    );
    expect(refusal([]).details.field).to.equal('(root)');
  });

  it('takes a region with no members (one being set up): the feeds skip it', () => {
    expect(parseRegions({ 'new-region': { labels, members: [] } })).to.deep.equal([
      { id: 'new-region', labels, members: [] },
    ]);
  });

  it('names the file it refuses', () => {
    const dir = mkdtempSync(join(tmpdir(), 'regions-'));
    const file = join(dir, 'regions.json');
    writeFileSync(file, JSON.stringify({ 'central-asia': { labels, members: null } }));
    expect(() => loadRegions(file)).to.throw(HubError, file);
  });
});
