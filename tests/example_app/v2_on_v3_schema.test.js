'use strict';

// Run by run.sh while the v2 app is still serving and the v3 migration has
// just been applied: why "migrate first, then roll out" is unsafe for v3.
// The v2 code still selects members.legacy_code, which v3 dropped.
const test = require('node:test');
const assert = require('node:assert/strict');
const { api, tokenFor } = require('../../examples/loans/test/helpers');

test('v2 code on the v3 schema: member endpoints fail with 500, loans still load', async () => {
  const token = await tokenFor('CREDIT_OFFICER');
  const loan = await api('GET', '/api/loans/1', { token });
  assert.equal(loan.status, 200);
  const member = await api('GET', `/api/members/${loan.body.memberId}`, { token });
  assert.equal(member.status, 500);
  assert.equal((await api('GET', '/api/members?limit=1', { token })).status, 500);
});
