'use strict';

const crypto = require('node:crypto');
const { promisify } = require('node:util');
const { HttpError } = require('./http');

const scrypt = promisify(crypto.scrypt);

// ---- passwords: "scrypt$<salt hex>$<hash hex>", N=16384 r=8 p=1, 64-byte key --

const SCRYPT_KEYLEN = 64;
const SCRYPT_OPTIONS = { N: 16384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

async function hashPassword(password, salt = crypto.randomBytes(16)) {
  const key = await scrypt(password.normalize('NFKC'), salt, SCRYPT_KEYLEN, SCRYPT_OPTIONS);
  return `scrypt$${salt.toString('hex')}$${key.toString('hex')}`;
}

async function verifyPassword(password, stored) {
  const parts = typeof stored === 'string' ? stored.split('$') : [];
  if (parts.length !== 3 || parts[0] !== 'scrypt') return false;
  const expected = Buffer.from(parts[2], 'hex');
  if (expected.length !== SCRYPT_KEYLEN) return false;
  const key = await scrypt(password.normalize('NFKC'), Buffer.from(parts[1], 'hex'), SCRYPT_KEYLEN, SCRYPT_OPTIONS);
  return crypto.timingSafeEqual(key, expected);
}

// Verified against when the e-mail is unknown, so both cases cost one scrypt.
const DUMMY_HASH = `scrypt$${'00'.repeat(16)}$${'00'.repeat(SCRYPT_KEYLEN)}`;

// ---- access tokens: HS256 JWT -----------------------------------------------

const b64url = (buf) => Buffer.from(buf).toString('base64url');
const JWT_HEADER = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));

function hmac(secret, data) {
  return crypto.createHmac('sha256', secret).update(data).digest();
}

function signAccessToken(user, config, now = Math.floor(Date.now() / 1000)) {
  const payload = b64url(
    JSON.stringify({
      sub: String(user.id),
      role: user.role,
      tv: user.token_version,
      jti: crypto.randomUUID(),
      iat: now,
      exp: now + config.accessTokenTtl,
    }),
  );
  const signingInput = `${JWT_HEADER}.${payload}`;
  return `${signingInput}.${b64url(hmac(config.jwtSecret, signingInput))}`;
}

function verifyAccessToken(token, secret, now = Math.floor(Date.now() / 1000)) {
  const invalid = () => new HttpError(401, 'invalid or expired access token');
  if (typeof token !== 'string') throw invalid();
  const parts = token.split('.');
  if (parts.length !== 3) throw invalid();
  const [header, payload, signature] = parts;
  const expected = hmac(secret, `${header}.${payload}`);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) throw invalid();
  let claims;
  try {
    const h = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
    if (h.alg !== 'HS256') throw invalid();
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!claims || typeof claims.exp !== 'number' || claims.exp <= now || !/^\d+$/.test(String(claims.sub))) {
    throw invalid();
  }
  return claims;
}

// Signature + expiry, then the user row: a role change or a logout (which bumps
// users.token_version) takes effect on the very next request.
async function authenticate(pool, config, token) {
  const claims = verifyAccessToken(token, config.jwtSecret);
  const { rows } = await pool.query('SELECT id, email, role, token_version FROM users WHERE id = $1', [
    Number(claims.sub),
  ]);
  const user = rows[0];
  if (!user || user.token_version !== claims.tv) throw new HttpError(401, 'access token has been revoked');
  return user;
}

function bearerToken(req) {
  const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization || '');
  return m ? m[1] : null;
}

// ---- refresh tokens: opaque, only their SHA-256 is stored --------------------

function hashRefreshToken(token) {
  return crypto.createHash('sha256').update(token).digest('hex');
}

async function issueRefreshToken(client, userId, config) {
  const token = crypto.randomBytes(32).toString('base64url');
  await client.query(
    `INSERT INTO refresh_tokens (user_id, token_hash, expires_at)
     VALUES ($1, $2, now() + make_interval(secs => $3))`,
    [userId, hashRefreshToken(token), config.refreshTokenTtl],
  );
  return token;
}

module.exports = {
  hashPassword,
  verifyPassword,
  DUMMY_HASH,
  signAccessToken,
  verifyAccessToken,
  authenticate,
  bearerToken,
  hashRefreshToken,
  issueRefreshToken,
};
