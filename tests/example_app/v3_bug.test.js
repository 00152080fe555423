'use strict';

// Run by run.sh against the app on RELEASE=v3. It asserts that the deliberate
// v3 bug (examples/loans/README.md, "The v3 bug") is really there, so the
// example keeps giving post-deployment verification something to catch.
const test = require('node:test');
const assert = require('node:assert/strict');
const { api, tokenFor, SEED_ROWS } = require('../../examples/loans/test/helpers');

test('v3 bug: portfolio amounts are strings and the totals are concatenated', async () => {
  const res = await api('GET', '/api/reports/portfolio', { token: await tokenFor('ADMIN') });
  assert.equal(res.status, 200, 'the endpoint itself answers 200: only its numbers are wrong');
  const { unions, totals } = res.body;
  assert.ok(unions.length >= 2);
  for (const u of unions) {
    assert.equal(typeof u.loanCount, 'string');
    assert.equal(typeof u.principal, 'string');
    assert.equal(typeof u.outstanding, 'number', 'subtraction coerces, so outstanding stays right');
  }
  assert.equal(totals.principal, `0${unions.map((u) => u.principal).join('')}`);
  assert.equal(totals.loanCount, `0${unions.map((u) => u.loanCount).join('')}`);
  const realLoanCount = unions.reduce((sum, u) => sum + Number(u.loanCount), 0);
  assert.ok(realLoanCount >= SEED_ROWS);
  assert.notEqual(Number(totals.loanCount), realLoanCount);
});

test('v3: everything else still works (health, old loans)', async () => {
  const health = await api('GET', '/health');
  assert.equal(health.status, 200);
  assert.equal(health.body.release, 'v3');
  const token = await tokenFor('CREDIT_OFFICER');
  const loan = await api('GET', '/api/loans/1', { token });
  assert.equal(loan.status, 200);
  assert.equal(typeof loan.body.amount, 'number');
  const member = await api('GET', `/api/members/${loan.body.memberId}`, { token });
  assert.equal(member.status, 200);
  assert.equal(member.body.legacyCode, undefined, 'legacy_code is gone in v3');
});
