// What the query API's OpenAPI document says a statistic's or a route leg's `count` counts: seizure entries (a report
// once per substance it names), not distinct reports, which the read models' per-substance buckets cannot give.
import { expect } from 'chai';
import { openApiDocument } from '../src/openapi';

type Schema = { properties?: Record<string, Schema>; items?: Schema; description?: string };

describe('query API document: what a count counts', () => {
  const schemas = (openApiDocument() as { components: { schemas: Record<string, Schema> } }).components
    .schemas;
  const entries =
    "seizure entries: reports naming the substance; a report naming several substances counts once for each, as UNODC's individual seizure data does";

  it('describes the count of a statistics row as seizure entries, and of annual returns as their rows', () => {
    const count = schemas.StatsResult!.properties!.rows!.items!.properties!.count!;
    expect(count.description).to.contain(`source=seizures: ${entries}`);
    expect(count.description).to.contain('source=annual: ');
  });

  it('describes the count of a route leg as seizure entries', () => {
    const count = schemas.RoutesResult!.properties!.legs!.items!.properties!.count!;
    expect(count.description).to.contain(entries);
  });
});
