'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const WebSocket = require('ws');
const { BASE_URL, api, tokenFor } = require('./helpers');

const wsUrl = (token) => {
  const url = new URL('/ws/events', BASE_URL);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  if (token !== undefined) url.searchParams.set('token', token);
  return url.toString();
};

// Buffers every message so that events arriving before the HTTP response
// (they are published right after the commit) are not missed.
function collect(ws) {
  const seen = [];
  const waiters = new Set();
  ws.on('message', (data) => {
    const msg = JSON.parse(data.toString());
    seen.push(msg);
    for (const w of waiters) w();
  });
  ws.on('error', (err) => seen.push({ type: 'client-error', message: err.message }));
  return function waitFor(predicate, ms = 5000) {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = seen.find(predicate);
        if (!found) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(found);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no matching WebSocket message within ${ms} ms; got ${JSON.stringify(seen)}`));
      }, ms);
      waiters.add(check);
      check();
    });
  };
}

function handshakeStatus(url) {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    ws.on('unexpected-response', (req, res) => {
      resolve(res.statusCode);
      req.destroy();
    });
    ws.on('open', () => {
      resolve(101);
      ws.close();
    });
    ws.on('error', () => resolve('error'));
  });
}

test('ws: connections without a valid token are refused with 401', async () => {
  assert.equal(await handshakeStatus(wsUrl()), 401);
  assert.equal(await handshakeStatus(wsUrl('not.a.jwt')), 401);
});

test('ws: an event arrives after a POST', async () => {
  const token = await tokenFor('CREDIT_OFFICER');
  const ws = new WebSocket(wsUrl(token));
  const waitFor = collect(ws);
  try {
    const hello = await waitFor((m) => m.type === 'hello');
    assert.ok(Number.isInteger(hello.userId));

    const unions = await api('GET', '/api/unions?limit=1', { token });
    const member = await api('POST', '/api/members', {
      token,
      body: { unionId: unions.body.items[0].id, fullName: 'Event Listener' },
    });
    assert.equal(member.status, 201);
    const event = await waitFor((m) => m.type === 'member.created' && m.id === member.body.id);
    assert.equal(event.id, member.body.id);
    assert.equal(event.entity, 'member');
    assert.equal(event.userId, hello.userId);
    assert.ok(Math.abs(Date.parse(event.at) - Date.now()) < 60000);
  } finally {
    ws.terminate();
  }
});
