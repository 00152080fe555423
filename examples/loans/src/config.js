'use strict';

const fs = require('node:fs');
const path = require('node:path');

const RELEASES_DIR = path.join(__dirname, '..', 'releases');

function releaseNumber(version) {
  const m = /^v(\d+)$/.exec(version);
  return m ? Number(m[1]) : NaN;
}

function loadReleases(dir = RELEASES_DIR) {
  return fs
    .readdirSync(dir)
    .filter((f) => /^v\d+\.json$/.test(f))
    .map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')))
    .sort((a, b) => releaseNumber(a.version) - releaseNumber(b.version));
}

function positiveInt(env, name, fallback) {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return n;
}

function loadConfig(env = process.env) {
  const releases = loadReleases();
  if (releases.length === 0) throw new Error(`no release files in ${RELEASES_DIR}`);
  const release = env.RELEASE || releases[releases.length - 1].version;
  const info = releases.find((r) => r.version === release);
  if (!info) {
    throw new Error(`RELEASE must be one of ${releases.map((r) => r.version).join(', ')}, got "${release}"`);
  }
  if (!env.DATABASE_URL) throw new Error('DATABASE_URL is required');
  if (!env.JWT_SECRET || env.JWT_SECRET.length < 32) {
    throw new Error('JWT_SECRET is required and must be at least 32 characters');
  }
  return {
    databaseUrl: env.DATABASE_URL,
    port: env.PORT === undefined || env.PORT === '' ? 3000 : positiveInt(env, 'PORT'),
    host: env.HOST || '127.0.0.1',
    jwtSecret: env.JWT_SECRET,
    accessTokenTtl: positiveInt(env, 'ACCESS_TOKEN_TTL', 900),
    refreshTokenTtl: positiveInt(env, 'REFRESH_TOKEN_TTL', 30 * 24 * 3600),
    release,
    releaseNumber: releaseNumber(release),
    lastMigration: info.last_migration,
  };
}

module.exports = { loadConfig, loadReleases };
