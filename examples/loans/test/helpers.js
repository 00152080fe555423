'use strict';

// Shared helpers for the smoke tests. They talk to a running server:
//   BASE_URL          e.g. http://127.0.0.1:3000 (required)
//   DEMO_PASSWORD     password of the seeded users (default demo-password-1)
//   SEED_ROWS         number of loans the seed created (default 0: unknown)
//   EXPECTED_RELEASE  release the server should report (optional)
//   ACCESS_TOKEN_TTL  the server's access token lifetime (default 900)

const BASE_URL = process.env.BASE_URL;
if (!BASE_URL) throw new Error('BASE_URL is not set (e.g. http://127.0.0.1:3000)');

const PASSWORD = process.env.DEMO_PASSWORD || 'demo-password-1';
const SEED_ROWS = Number(process.env.SEED_ROWS || 0);
const EXPECTED_RELEASE = process.env.EXPECTED_RELEASE || null;
const ACCESS_TOKEN_TTL = Number(process.env.ACCESS_TOKEN_TTL || 900);

const USERS = {
  ADMIN: 'admin@example.com',
  SUPERVISOR: 'supervisor@example.com',
  CREDIT_OFFICER: 'officer@example.com',
};

async function api(method, path, { token, body, rawBody } = {}) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined || rawBody !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(new URL(path, BASE_URL), {
    method,
    headers,
    body: rawBody !== undefined ? rawBody : body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, body: json, text };
}

async function login(email, password = PASSWORD) {
  const res = await api('POST', '/api/auth/login', { body: { email, password } });
  if (res.status !== 200) throw new Error(`login ${email}: HTTP ${res.status} ${res.text}`);
  return res.body;
}

const tokenFor = async (role) => (await login(USERS[role])).accessToken;

function decodeJwt(token) {
  const [header, payload] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(header, 'base64url').toString()),
    payload: JSON.parse(Buffer.from(payload, 'base64url').toString()),
  };
}

const unique = (prefix) => `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

const releaseNumber = (v) => Number(String(v).replace(/^v/, ''));

module.exports = {
  BASE_URL,
  PASSWORD,
  SEED_ROWS,
  EXPECTED_RELEASE,
  ACCESS_TOKEN_TTL,
  USERS,
  api,
  login,
  tokenFor,
  decodeJwt,
  unique,
  releaseNumber,
};
