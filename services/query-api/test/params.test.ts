import { expect } from 'chai';
import { ValidationError } from '@hub/errors';
import { drugCondition, parseParams } from '../src/params';

// The `drug` filter of search, export and routes: a substance code or an aggregate of the World Drug Report.
describe('query parameters: the drug filter', () => {
  const parse = (drug: string) => parseParams({ drug }, { drug: { kind: 'drug' } });
  const refusal = (drug: string) => {
    try {
      parse(drug);
    } catch (err) {
      expect(err).to.be.instanceOf(ValidationError);
      return (err as ValidationError).errors[0]!;
    }
    throw new Error(`${drug} was taken`);
  };

  it('takes a substance code as it is, and an aggregate as the substances it counts', () => {
    expect(parse('heroin').drug).to.equal('heroin');
    expect(drugCondition('heroin')).to.equal('heroin');
    // Cocaine is its forms, never coca leaf or bush (the World Drug Report's aggregate).
    expect(drugCondition('cocaine')).to.deep.equal({
      $in: ['coca-paste-base', 'cocaine-hcl', 'crack-cocaine', 'other-cocaine'],
    });
    const opiates = drugCondition('opiates') as { $in: string[] };
    expect(opiates.$in).to.include.members(['heroin', 'opium', 'morphine']);
    expect(opiates.$in).to.not.include('fentanyl');
  });

  it('refuses a code that is neither, naming the field and suggesting what was meant', () => {
    const e = refusal('heroine');
    expect(e.field).to.equal('drug');
    expect(e.value).to.equal('heroine');
    expect(e.suggestions).to.include('heroin');
    expect(e.message).to.match(/did you mean .*heroin/);
    expect(refusal('cocain').suggestions).to.include('cocaine');
    expect(refusal('zzzzzz').message).to.contain('/data/substances.json');
  });
});
