// Unit tier: the dashboard's dictionary (services/query-api/public/i18n.js) says the same things in every language,
// and explains in words each error the query API can answer a signed-in analyst with.
import { expect } from 'chai';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '@hub/config';
import { ERROR_STATUS } from '@hub/query-api';

describe('dashboard dictionary', () => {
  let DICT: Record<string, Record<string, string>>;
  before(async () => {
    const url = pathToFileURL(join(repoRoot, 'services', 'query-api', 'public', 'i18n.js')).href;
    ({ DICT } = (await import(url)) as { DICT: Record<string, Record<string, string>> });
  });

  it('has the same keys in every language, none empty', () => {
    const [first, ...rest] = Object.keys(DICT);
    expect(rest.length, 'more than one language').to.be.at.least(1);
    const keys = Object.keys(DICT[first!]!).sort();
    for (const lang of rest) expect(Object.keys(DICT[lang]!).sort(), lang).to.deep.equal(keys);
    for (const [lang, words] of Object.entries(DICT))
      for (const [key, text] of Object.entries(words)) expect(text.trim(), `${lang}.${key}`).to.not.equal('');
  });

  it('words every error code of the query API but the internal one and parameter errors (shown field by field)', () => {
    for (const code of Object.keys(ERROR_STATUS).filter(
      (c) => !['INTERNAL', 'VALIDATION_FAILED', 'NOT_FOUND'].includes(c),
    ))
      for (const lang of Object.keys(DICT)) expect(DICT[lang], `${lang}: ${code}`).to.have.property(code);
  });
});
