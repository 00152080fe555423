'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const { api, tokenFor, unique, SEED_ROWS, EXPECTED_RELEASE, releaseNumber } = require('./helpers');

let admin;
let officer;
test.before(async () => {
  [admin, officer] = await Promise.all([tokenFor('ADMIN'), tokenFor('CREDIT_OFFICER')]);
});

test('report: per-union figures are integers and the totals add up', async () => {
  const res = await api('GET', '/api/reports/portfolio', { token: officer });
  assert.equal(res.status, 200);
  const { unions, totals } = res.body;
  assert.ok(unions.length > 0);
  const sum = { loanCount: 0, principal: 0, repaid: 0, outstanding: 0 };
  for (const u of unions) {
    for (const key of Object.keys(sum)) {
      assert.ok(Number.isSafeInteger(u[key]), `union ${u.unionId} ${key} is an integer, got ${JSON.stringify(u[key])}`);
      sum[key] += u[key];
    }
    assert.equal(u.outstanding, u.principal - u.repaid);
  }
  assert.deepEqual(totals, sum);
  assert.ok(totals.loanCount >= SEED_ROWS, `at least the ${SEED_ROWS} seeded loans are counted`);
  if (SEED_ROWS > 0) assert.ok(totals.repaid > 0 && totals.outstanding > 0);
  if (EXPECTED_RELEASE && releaseNumber(EXPECTED_RELEASE) >= 2) {
    assert.ok(Number.isInteger(res.body.sessionId), 'v2+ records a report session');
  }
});

test('report: a new loan and repayment show up with exact amounts', async () => {
  const union = await api('POST', '/api/unions', {
    token: admin,
    body: { name: 'Report Check CU', charterNumber: unique('RPT') },
  });
  const member = await api('POST', '/api/members', {
    token: officer,
    body: { unionId: union.body.id, fullName: 'Grace Hopper' },
  });
  const loan = await api('POST', '/api/loans', {
    token: officer,
    body: { memberId: member.body.id, amount: 123456, interestRate: 9.25, termMonths: 36 },
  });
  assert.equal(loan.status, 201);
  const repayment = await api('POST', `/api/loans/${loan.body.id}/repayments`, { token: officer, body: { amount: 23456 } });
  assert.equal(repayment.status, 201);

  const res = await api('GET', '/api/reports/portfolio', { token: admin });
  assert.equal(res.status, 200);
  const line = res.body.unions.find((u) => u.unionId === union.body.id);
  assert.deepEqual(line, {
    unionId: union.body.id,
    name: 'Report Check CU',
    loanCount: 1,
    principal: 123456,
    repaid: 23456,
    outstanding: 100000,
  });
});
