'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const { api, EXPECTED_RELEASE } = require('./helpers');

test('health: 200 with status, timestamp, uptime, release and database', async () => {
  const res = await api('GET', '/health');
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^application\/json/);
  const { status, timestamp, uptime, release, database } = res.body;
  assert.equal(status, 'ok');
  assert.equal(database, 'ok');
  assert.match(timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  assert.ok(Math.abs(Date.parse(timestamp) - Date.now()) < 60000, 'timestamp is current');
  assert.ok(Number.isFinite(uptime) && uptime >= 0, 'uptime is a number of seconds');
  assert.match(release, /^v\d+$/);
  if (EXPECTED_RELEASE) assert.equal(release, EXPECTED_RELEASE);
});

test('health: unknown routes get a JSON 404', async () => {
  const res = await api('GET', '/no/such/route');
  assert.equal(res.status, 404);
  assert.equal(typeof res.body.error, 'string');
});
