import { expect } from 'chai';
import { currentBuckets, latestVersions, versionId } from '../src/buckets';

describe('store: read-model buckets as versions', function () {
  const stored = [
    // A bucket stored before versions (its key as _id), then two versions of it.
    { _id: 's|KZ|heroin', rev: 3, count: 2, quantityKg: 4 },
    {
      _id: versionId('s|KZ|heroin', 5),
      bucket: 's|KZ|heroin',
      rev: 5,
      count: 4,
      quantityKg: 9,
      journal: 'j2',
    },
    {
      _id: versionId('s|KZ|heroin', 4),
      bucket: 's|KZ|heroin',
      rev: 4,
      count: 3,
      quantityKg: 7,
      journal: 'j1',
    },
    // A bucket that emptied: its latest version counts nothing.
    { _id: versionId('l|AF|TJ', 1), bucket: 'l|AF|TJ', rev: 1, count: 1, quantityKg: 1 },
    { _id: versionId('l|AF|TJ', 2), bucket: 'l|AF|TJ', rev: 2, count: 0, quantityKg: 0 },
    // One version only.
    { _id: versionId('l|TJ|KZ', 1), bucket: 'l|TJ|KZ', rev: 1, count: 1, quantityKg: 2 },
  ];

  it('takes the highest rev of each bucket, whatever the order, and names the versions it supersedes', () => {
    const { latest, superseded } = latestVersions(stored);
    expect([...latest.keys()].sort()).to.deep.equal(['l|AF|TJ', 'l|TJ|KZ', 's|KZ|heroin']);
    expect(latest.get('s|KZ|heroin')?.rev).to.equal(5);
    expect(latest.get('l|AF|TJ')?.count).to.equal(0);
    expect(superseded.sort()).to.deep.equal(['l|AF|TJ#1', 's|KZ|heroin', 's|KZ|heroin#4'].sort());
  });

  it('gives readers each bucket as it stands: under its key, without bookkeeping, the emptied ones left out', () => {
    expect(currentBuckets(stored).sort((a, b) => a._id.localeCompare(b._id))).to.deep.equal([
      { _id: 'l|TJ|KZ', count: 1, quantityKg: 2 },
      { _id: 's|KZ|heroin', count: 4, quantityKg: 9 },
    ]);
  });
});
