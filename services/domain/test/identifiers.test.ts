import { expect } from 'chai';
import { normaliseIdentifier, normaliseLink, seizureReportFromJson } from '@hub/domain';
import { ctx, minimal, refusals } from './readers';

describe('identifiers and links as they are matched', () => {
  it('gives no match text to a value with no letter or digit, so "unknown plate" placeholders never meet', () => {
    for (const blank of ['-', '/', '.', '_', ' ', '--', ' - / . ', '', '+', '()', '?', '***'])
      expect(normaliseIdentifier('plate', blank), JSON.stringify(blank)).to.equal(null);
    expect(normaliseIdentifier('phone', '+ ( ) -')).to.equal(null);
    expect(normaliseLink('case', ' - ')).to.equal(null);
    expect(normaliseLink('case', '')).to.equal(null);
    // Any letter or digit, in any script, is something to match on.
    expect(normaliseIdentifier('plate', '0')).to.equal('plate:0');
    expect(normaliseIdentifier('plate', 'Ж')).to.equal('plate:Ж');
    expect(normaliseLink('case', '#7')).to.equal('case|#7');
  });

  it('matches a phone number written with brackets, spaces and dashes, keeping its leading "+"', () => {
    const e164 = normaliseIdentifier('phone', '+77011234567');
    expect(e164).to.equal('phone:+77011234567');
    for (const written of ['+7 (701) 123-45-67', '+7(701)1234567', ' +7 701 123 45 67', '+7.701.123.45.67'])
      expect(normaliseIdentifier('phone', written), written).to.equal(e164);
    // Kept apart: without the "+" (perhaps as dialled at home), with the trunk prefix, or with an extension.
    expect(normaliseIdentifier('phone', '7 (701) 123-45-67')).not.to.equal(e164);
    expect(normaliseIdentifier('phone', '8 (701) 123-45-67')).not.to.equal(e164);
    expect(normaliseIdentifier('phone', '+7 701 123 45 67 ext 2')).not.to.equal(e164);
    // Brackets are a phone's grouping, not a plate's.
    expect(normaliseIdentifier('plate', '(01) KZ 777')).not.to.equal(
      normaliseIdentifier('plate', '01 KZ 777'),
    );
  });

  it('matches an IMO number with or without its "IMO" prefix, and nothing else to it', () => {
    const imo = normaliseIdentifier('vessel-imo', '9074729');
    expect(imo).to.equal('vessel-imo:9074729');
    for (const written of [
      'IMO 9074729',
      'imo9074729',
      'IMO-9074729',
      'IMO: 9074729',
      'IMO No. 9074729',
      'IMO № 9074729',
      'ИМО 9074729',
    ])
      expect(normaliseIdentifier('vessel-imo', written), written).to.equal(imo);
    // Only a seven-digit number loses its prefix; another kind never does.
    expect(normaliseIdentifier('vessel-imo', 'IMO 90747291')).to.equal('vessel-imo:IMO90747291');
    expect(normaliseIdentifier('vessel-imo', 'IMO')).to.equal('vessel-imo:IMO');
    expect(normaliseIdentifier('vessel-mmsi', 'IMO 9074729')).not.to.equal(
      normaliseIdentifier('vessel-mmsi', '9074729'),
    );
  });

  it('matches a link kind whatever its case, and keeps different references and kinds apart', () => {
    expect(normaliseLink('Case', 'op-north-17')).to.equal(normaliseLink('case', 'OP-NORTH-17 '));
    expect(normaliseLink(' CASE ', 'op-north-17')).to.equal('case|OP-NORTH-17');
    expect(normaliseLink('case', 'op-north-17')).not.to.equal(normaliseLink('report', 'op-north-17'));
    expect(normaliseLink('case', 'op-north-17')).not.to.equal(normaliseLink('case', 'op-north-71'));
  });

  it('keeps the plates, containers and flights it matched before as they were', () => {
    expect(normaliseIdentifier('plate', '777 АВС 02')).to.equal('plate:777ABC02');
    expect(normaliseIdentifier('container', 'csqu 305438-3')).to.equal('container:CSQU3054383');
    expect(normaliseIdentifier('flight', 'KC 921')).to.equal('flight:KC921');
  });
});

describe('national node: identifiers and links that name nothing are refused', () => {
  const report = (changes: Record<string, unknown>) =>
    refusals(() => seizureReportFromJson({ ...minimal, ...changes }, ctx));
  const plate = (value: string) => ({
    conveyance: { mode: 'road', identifiers: [{ kind: 'plate', value }] },
  });

  it('refuses an identifier value of no letter or digit, naming the field, the value and the rule', () => {
    for (const blank of ['-', '/', '.', '_', ' - ']) {
      const problems = report(plate(blank));
      expect(problems, blank).to.have.length(1);
      expect(problems[0]).to.match(/^conveyance\.identifiers\[0\]\.value: must contain a letter or a digit/);
    }
    try {
      seizureReportFromJson({ ...minimal, ...plate('-') }, ctx);
      expect.fail('taken');
    } catch (err) {
      expect((err as { errors: { value?: unknown }[] }).errors[0]?.value).to.equal('-');
    }
    expect(report(plate('01 KZ 777 ABA'))).to.deep.equal([]);
  });

  it('refuses a blank identifier value or link as missing, since the required check comes after trimming', () => {
    expect(report(plate('   '))).to.deep.equal(['conveyance.identifiers[0].value: is required']);
    expect(report({ links: [{ kind: ' ', ref: 'op-1' }] })).to.deep.equal(['links[0].kind: is required']);
    expect(report({ links: [{ kind: 'case', ref: '  ' }] })).to.deep.equal(['links[0].ref: is required']);
  });

  it('refuses a link reference of no letter or digit', () => {
    expect(report({ links: [{ kind: 'case', ref: '-' }] })).to.deep.equal([
      'links[0].ref: must contain a letter or a digit (a placeholder such as "-" names nothing; leave an unknown identifier out)',
    ]);
    expect(report({ links: [{ kind: 'Case', ref: 'op-north-17' }] })).to.deep.equal([]);
  });
});
