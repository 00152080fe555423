'use strict';

const crypto = require('node:crypto');
const test = require('node:test');
const assert = require('node:assert/strict');
const helpers = require('./helpers');

const { api, login, decodeJwt, USERS, PASSWORD, ACCESS_TOKEN_TTL, EXPECTED_RELEASE, releaseNumber } = helpers;

const fromV2 = EXPECTED_RELEASE && releaseNumber(EXPECTED_RELEASE) >= 2;

for (const [role, email] of Object.entries(USERS)) {
  test(`auth: ${role} logs in and gets a HS256 access token and a refresh token`, async () => {
    const session = await login(email);
    assert.deepEqual(session.user.email, email);
    assert.equal(session.user.role, role);
    assert.ok(Number.isInteger(session.user.id));
    assert.equal(typeof session.refreshToken, 'string');
    assert.ok(session.refreshToken.length >= 32);

    const { header, payload } = decodeJwt(session.accessToken);
    assert.equal(header.alg, 'HS256');
    assert.equal(payload.sub, String(session.user.id));
    assert.equal(payload.role, role);
    assert.equal(payload.exp - payload.iat, ACCESS_TOKEN_TTL);
    assert.ok(Math.abs(payload.iat * 1000 - Date.now()) < 60000);

    const me = await api('GET', '/api/me', { token: session.accessToken });
    assert.equal(me.status, 200);
    assert.equal(me.body.email, email);
    assert.equal(me.body.role, role);
    if (fromV2) assert.ok('supervisorId' in me.body, 'v2+ returns supervisorId');
  });
}

test('auth: the seeded credit officer has a supervisor from v2 on', { skip: !fromV2 }, async () => {
  const { accessToken } = await login(USERS.CREDIT_OFFICER);
  const me = await api('GET', '/api/me', { token: accessToken });
  assert.ok(Number.isInteger(me.body.supervisorId));
});

test('auth: wrong password, unknown user and missing fields are rejected', async () => {
  const wrong = await api('POST', '/api/auth/login', { body: { email: USERS.ADMIN, password: 'not-the-password' } });
  assert.equal(wrong.status, 401);
  assert.equal(typeof wrong.body.error, 'string');
  assert.equal(wrong.body.accessToken, undefined);

  const unknown = await api('POST', '/api/auth/login', { body: { email: 'nobody@example.com', password: PASSWORD } });
  assert.equal(unknown.status, 401);

  const missing = await api('POST', '/api/auth/login', { body: { email: USERS.ADMIN } });
  assert.equal(missing.status, 400);

  const notJson = await api('POST', '/api/auth/login', { rawBody: '{"email":' });
  assert.equal(notJson.status, 400);
});

test('auth: requests without a valid token get 401', async () => {
  assert.equal((await api('GET', '/api/me')).status, 401);
  assert.equal((await api('GET', '/api/loans')).status, 401);
  assert.equal((await api('GET', '/api/me', { token: 'not.a.jwt' })).status, 401);

  // Same token with the role claim changed: the signature no longer matches.
  const { accessToken } = await login(USERS.CREDIT_OFFICER);
  const [h, p, s] = accessToken.split('.');
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
  payload.role = 'ADMIN';
  const forged = `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`;
  assert.equal((await api('GET', '/api/users', { token: forged })).status, 401);
  assert.equal((await api('GET', '/api/me', { token: accessToken })).status, 200);
});

// Needs the server's secret to sign a token that is valid except for its expiry.
test('auth: an expired but correctly signed access token gets 401', { skip: !process.env.JWT_SECRET }, async () => {
  const { accessToken } = await login(USERS.CREDIT_OFFICER);
  const [header, p] = accessToken.split('.');
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
  const sign = (claims) => {
    const input = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    const sig = crypto.createHmac('sha256', process.env.JWT_SECRET).update(input).digest('base64url');
    return `${input}.${sig}`;
  };
  const now = Math.floor(Date.now() / 1000);
  assert.equal((await api('GET', '/api/me', { token: sign({ ...payload, exp: now + 60 }) })).status, 200);
  assert.equal((await api('GET', '/api/me', { token: sign({ ...payload, iat: now - 120, exp: now - 60 }) })).status, 401);
});

test('auth: refresh rotates the refresh token and the old one stops working', async () => {
  const first = await login(USERS.SUPERVISOR);
  const res = await api('POST', '/api/auth/refresh', { body: { refreshToken: first.refreshToken } });
  assert.equal(res.status, 200);
  assert.notEqual(res.body.refreshToken, first.refreshToken);
  assert.notEqual(res.body.accessToken, first.accessToken);
  assert.equal(res.body.user.email, USERS.SUPERVISOR);
  assert.equal((await api('GET', '/api/me', { token: res.body.accessToken })).status, 200);

  const reused = await api('POST', '/api/auth/refresh', { body: { refreshToken: first.refreshToken } });
  assert.equal(reused.status, 401);

  const again = await api('POST', '/api/auth/refresh', { body: { refreshToken: res.body.refreshToken } });
  assert.equal(again.status, 200);

  assert.equal((await api('POST', '/api/auth/refresh', { body: {} })).status, 400);
  assert.equal((await api('POST', '/api/auth/refresh', { body: { refreshToken: 'made-up' } })).status, 401);
});

test('auth: after logout the old access token and refresh token are rejected', async () => {
  // A user of its own: logout invalidates every token of that user.
  const email = 'officer3@example.com';
  const session = await login(email);
  assert.equal((await api('GET', '/api/me', { token: session.accessToken })).status, 200);

  const out = await api('POST', '/api/auth/logout', { token: session.accessToken });
  assert.equal(out.status, 200);

  const after = await api('GET', '/api/me', { token: session.accessToken });
  assert.equal(after.status, 401);
  assert.equal(typeof after.body.error, 'string');
  assert.equal((await api('GET', '/api/loans', { token: session.accessToken })).status, 401);
  assert.equal((await api('POST', '/api/auth/refresh', { body: { refreshToken: session.refreshToken } })).status, 401);

  const fresh = await login(email);
  assert.equal((await api('GET', '/api/me', { token: fresh.accessToken })).status, 200);
});
