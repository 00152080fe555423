'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const { api, tokenFor, unique } = require('./helpers');

let admin;
let supervisor;
let officer;

test.before(async () => {
  [admin, supervisor, officer] = await Promise.all([
    tokenFor('ADMIN'),
    tokenFor('SUPERVISOR'),
    tokenFor('CREDIT_OFFICER'),
  ]);
});

test('crud: union -> member -> loan -> repayment, each readable afterwards', async () => {
  const charterNumber = unique('CH');
  const union = await api('POST', '/api/unions', { token: supervisor, body: { name: 'Harbour CU', charterNumber } });
  assert.equal(union.status, 201);
  assert.ok(Number.isInteger(union.body.id));
  assert.equal(union.body.charterNumber, charterNumber);
  assert.deepEqual((await api('GET', `/api/unions/${union.body.id}`, { token: officer })).body, union.body);

  const member = await api('POST', '/api/members', {
    token: officer,
    body: { unionId: union.body.id, fullName: 'Ada Lovelace', email: 'ada@example.org' },
  });
  assert.equal(member.status, 201);
  assert.equal(member.body.unionId, union.body.id);
  assert.deepEqual((await api('GET', `/api/members/${member.body.id}`, { token: officer })).body, member.body);

  const loan = await api('POST', '/api/loans', {
    token: officer,
    body: { memberId: member.body.id, amount: 250000, interestRate: 7.5, termMonths: 24 },
  });
  assert.equal(loan.status, 201);
  assert.equal(loan.body.amount, 250000);
  assert.equal(loan.body.interestRate, 7.5);
  assert.equal(loan.body.status, 'ACTIVE');

  const repayment = await api('POST', `/api/loans/${loan.body.id}/repayments`, { token: officer, body: { amount: 50000 } });
  assert.equal(repayment.status, 201);
  assert.equal(repayment.body.loanId, loan.body.id);
  assert.equal(repayment.body.amount, 50000);

  const detail = await api('GET', `/api/loans/${loan.body.id}`, { token: officer });
  assert.equal(detail.status, 200);
  assert.equal(detail.body.amount, 250000);
  assert.equal(detail.body.repaidAmount, 50000);
  assert.equal(detail.body.outstandingAmount, 200000);

  const list = await api('GET', `/api/loans/${loan.body.id}/repayments`, { token: officer });
  assert.equal(list.status, 200);
  assert.deepEqual(
    list.body.items.map((r) => r.id),
    [repayment.body.id],
  );

  const byMember = await api('GET', `/api/loans?memberId=${member.body.id}`, { token: officer });
  assert.deepEqual(
    byMember.body.items.map((l) => l.id),
    [loan.body.id],
  );

  // Overpaying is refused; paying the rest closes the loan; it then takes no more.
  const over = await api('POST', `/api/loans/${loan.body.id}/repayments`, { token: officer, body: { amount: 200001 } });
  assert.equal(over.status, 400);
  const rest = await api('POST', `/api/loans/${loan.body.id}/repayments`, { token: officer, body: { amount: 200000 } });
  assert.equal(rest.status, 201);
  assert.equal((await api('GET', `/api/loans/${loan.body.id}`, { token: officer })).body.status, 'PAID');
  const closed = await api('POST', `/api/loans/${loan.body.id}/repayments`, { token: officer, body: { amount: 1 } });
  assert.equal(closed.status, 409);

  // Every change left an audit trail.
  const audit = await api('GET', `/api/audit-log?entity=loan&entityId=${loan.body.id}`, { token: admin });
  assert.equal(audit.status, 200);
  const actions = audit.body.items.map((e) => e.action).sort();
  assert.deepEqual(actions, ['loan.created', 'loan.paid']);
  const created = audit.body.items.find((e) => e.action === 'loan.created');
  assert.equal(created.details.amount, 250000);
  assert.ok(Number.isInteger(created.userId));
});

test('crud: lists honour limit and offset and reject bad values', async () => {
  const two = await api('GET', '/api/members?limit=2', { token: officer });
  assert.equal(two.status, 200);
  assert.equal(two.body.items.length, 2);
  assert.equal(two.body.limit, 2);
  const second = await api('GET', '/api/members?limit=1&offset=1', { token: officer });
  assert.deepEqual(second.body.items, [two.body.items[1]]);

  const defaults = await api('GET', '/api/loans', { token: officer });
  assert.equal(defaults.body.limit, 100);
  assert.ok(defaults.body.items.length <= 100);

  const max = await api('GET', '/api/loans?limit=500', { token: officer });
  assert.equal(max.status, 200);
  assert.ok(max.body.items.length <= 500);

  for (const q of ['limit=501', 'limit=0', 'limit=abc', 'offset=-1']) {
    const res = await api('GET', `/api/loans?${q}`, { token: officer });
    assert.equal(res.status, 400, q);
    assert.equal(typeof res.body.error, 'string');
  }
});

test('crud: bad input gets 400 and unknown ids 404', async () => {
  const cases = [
    ['/api/unions', supervisor, { name: 'No charter' }],
    ['/api/members', officer, { fullName: 'No union' }],
    ['/api/members', officer, { unionId: 1, fullName: 'Bad mail', email: 'not-an-email' }],
    ['/api/loans', officer, { memberId: 1, amount: -5, interestRate: 5, termMonths: 12 }],
    ['/api/loans', officer, { memberId: 1, amount: 1000, interestRate: 'lots', termMonths: 12 }],
    ['/api/loans', officer, { memberId: 1, amount: 10.5, interestRate: 5, termMonths: 12 }],
    ['/api/loans/1/repayments', officer, { amount: 0 }],
  ];
  for (const [path, token, body] of cases) {
    const res = await api('POST', path, { token, body });
    assert.equal(res.status, 400, `${path} ${JSON.stringify(body)}`);
    assert.equal(typeof res.body.error, 'string');
  }
  const noSuchMember = await api('POST', '/api/loans', {
    token: officer,
    body: { memberId: 2000000000, amount: 1000, interestRate: 5, termMonths: 12 },
  });
  assert.equal(noSuchMember.status, 400);

  for (const path of ['/api/loans/2000000000', '/api/loans/abc', '/api/members/99999999999', '/api/unions/0']) {
    const res = await api('GET', path, { token: officer });
    assert.equal(res.status, 404, path);
    assert.equal(typeof res.body.error, 'string');
  }
  assert.equal((await api('GET', '/api/loans/2000000000/repayments', { token: officer })).status, 404);
  assert.equal(
    (await api('POST', '/api/loans/2000000000/repayments', { token: officer, body: { amount: 1 } })).status,
    404,
  );
});

test('roles: credit officers get 403 on admin and supervisor endpoints', async () => {
  const users = await api('GET', '/api/users', { token: officer });
  assert.equal(users.status, 403);
  assert.equal(typeof users.body.error, 'string');
  assert.equal((await api('GET', '/api/audit-log', { token: officer })).status, 403);
  assert.equal((await api('GET', '/api/audit-log', { token: supervisor })).status, 403);
  assert.equal((await api('GET', '/api/users', { token: supervisor })).status, 403);
  const union = await api('POST', '/api/unions', { token: officer, body: { name: 'X', charterNumber: unique('CH') } });
  assert.equal(union.status, 403);
});

test('roles: admins list users', async () => {
  const res = await api('GET', '/api/users?limit=500', { token: admin });
  assert.equal(res.status, 200);
  const byEmail = Object.fromEntries(res.body.items.map((u) => [u.email, u]));
  assert.equal(byEmail['admin@example.com'].role, 'ADMIN');
  assert.equal(byEmail['supervisor@example.com'].role, 'SUPERVISOR');
  assert.equal(byEmail['officer@example.com'].role, 'CREDIT_OFFICER');
  for (const u of res.body.items) assert.equal(u.passwordHash ?? u.password_hash, undefined);
});
