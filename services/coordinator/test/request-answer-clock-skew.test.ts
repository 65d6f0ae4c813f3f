// An answer dated before its request was sent, by two nodes' clocks: each may run off the hub's by the skew allowed,
// so the two may differ by twice that (checkRespondedAfterSent).
import { expect } from 'chai';
import { checkRespondedAfterSent } from '../src/requests';

const REQUEST_ID = '9a3e1c2b-4d5f-4e6a-8b7c-0d1e2f3a4b5c';
const MINUTE = 60000;
/** The true time the requester sent its request. */
const TRUE_SENT = Date.UTC(2026, 2, 14, 9, 0);

describe('coordinator: an answer dated before its request was sent', () => {
  it("takes an answer given 30 s after the request, the requester's clock 4 minutes ahead and the addressee's 2 behind", () => {
    const sentAt = TRUE_SENT + 4 * MINUTE;
    const respondedAt = TRUE_SENT + 30000 - 2 * MINUTE;
    expect(sentAt - respondedAt).to.equal(5.5 * MINUTE);
    expect(checkRespondedAfterSent(respondedAt, sentAt, REQUEST_ID)).to.deep.equal([]);
  });

  it('takes one the two clocks put up to 10 minutes early (each 5 minutes off), and refuses one a millisecond earlier', () => {
    const sentAt = TRUE_SENT + 5 * MINUTE;
    expect(checkRespondedAfterSent(TRUE_SENT - 5 * MINUTE, sentAt, REQUEST_ID)).to.deep.equal([]);
    expect(checkRespondedAfterSent(TRUE_SENT - 5 * MINUTE - 1, sentAt, REQUEST_ID)).to.have.length(1);
  });

  it('refuses an answer dated a day before its request, naming respondedAt, its value and the rule', () => {
    const dayBefore = TRUE_SENT - 24 * 60 * MINUTE;
    expect(checkRespondedAfterSent(dayBefore, TRUE_SENT, REQUEST_ID)).to.deep.equal([
      {
        field: 'respondedAt',
        message:
          `2026-03-13T09:00:00.000Z is before request ${REQUEST_ID} was sent (sentAt 2026-03-14T09:00:00.000Z), ` +
          "by more than the 10 minutes allowed for clock skew (the requester's and the addressee's clocks, each up " +
          'to 5 minutes off): an answer is given after its request',
        value: dayBefore,
      },
    ]);
  });
});
