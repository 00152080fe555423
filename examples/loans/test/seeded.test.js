'use strict';

// "Old records still load": data written by the seed (before any deploy)
// must stay readable through the API after every release.
const test = require('node:test');
const assert = require('node:assert/strict');
const { api, tokenFor, SEED_ROWS, EXPECTED_RELEASE, releaseNumber } = require('./helpers');

let token;
test.before(async () => {
  token = await tokenFor('CREDIT_OFFICER');
});

async function checkLoanChain(loan) {
  const detail = await api('GET', `/api/loans/${loan.id}`, { token });
  assert.equal(detail.status, 200, `GET /api/loans/${loan.id}`);
  assert.equal(detail.body.id, loan.id);
  assert.ok(Number.isSafeInteger(detail.body.amount) && detail.body.amount > 0);
  assert.ok(detail.body.repaidAmount > 0, 'seeded loans have repayments');
  assert.equal(detail.body.outstandingAmount, detail.body.amount - detail.body.repaidAmount);

  const repayments = await api('GET', `/api/loans/${loan.id}/repayments`, { token });
  assert.equal(repayments.status, 200);
  assert.equal(repayments.body.items.length, 2);
  assert.equal(
    repayments.body.items.reduce((sum, r) => sum + r.amount, 0),
    detail.body.repaidAmount,
  );

  const member = await api('GET', `/api/members/${loan.memberId}`, { token });
  assert.equal(member.status, 200, `GET /api/members/${loan.memberId}`);
  if (EXPECTED_RELEASE && releaseNumber(EXPECTED_RELEASE) < 3) assert.match(member.body.legacyCode, /^LC-\d+$/);

  const union = await api('GET', `/api/unions/${member.body.unionId}`, { token });
  assert.equal(union.status, 200);
}

test('seeded: the oldest loans and their member, union and repayments still load', async () => {
  const res = await api('GET', '/api/loans?limit=3', { token });
  assert.equal(res.status, 200);
  assert.equal(res.body.items.length, 3);
  const ids = res.body.items.map((l) => l.id);
  assert.deepEqual(ids, [...ids].sort((a, b) => a - b), 'ordered by id');
  for (const loan of res.body.items) await checkLoanChain(loan);
});

test('seeded: a loan from the middle and the last seeded loan still load', { skip: SEED_ROWS < 2 }, async () => {
  for (const offset of [Math.floor(SEED_ROWS / 2), SEED_ROWS - 1]) {
    const res = await api('GET', `/api/loans?limit=1&offset=${offset}`, { token });
    assert.equal(res.status, 200);
    assert.equal(res.body.items.length, 1, `loan at offset ${offset}`);
    await checkLoanChain(res.body.items[0]);
  }
});
