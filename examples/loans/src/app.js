'use strict';

const { HttpError, Router, sendJson, readJson } = require('./http');
const { withTransaction } = require('./db');
const { authenticate, bearerToken } = require('./auth');

const routeModules = [
  require('./routes/health'),
  require('./routes/auth'),
  require('./routes/resources'),
  require('./routes/admin'),
  require('./routes/reports'),
];

// PostgreSQL errors that are the client's fault.
const PG_CLIENT_ERRORS = {
  23503: [400, 'referenced record does not exist'],
  23505: [409, 'record already exists'],
  22003: [400, 'numeric value out of range'],
};

// Connection failures and server shutdown / start-up.
const DB_UNAVAILABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', '57P01', '57P02', '57P03']);

function log(fields) {
  console.log(JSON.stringify({ at: new Date().toISOString(), ...fields }));
}

function createApp({ config, pool }) {
  const router = new Router();
  let events = { publish() {}, disconnectUser() {} };

  // Runs fn(client, record) in one transaction. Each record(action, entity, id,
  // details) call becomes an audit_log row in that transaction and, once it has
  // committed, a WebSocket event.
  async function mutate(ctx, fn) {
    const changes = [];
    const record = (action, entity, entityId, details = null) => changes.push({ action, entity, entityId, details });
    const result = await withTransaction(pool, async (client) => {
      const value = await fn(client, record);
      for (const c of changes) {
        const { rows } = await client.query(
          `INSERT INTO audit_log (user_id, action, entity, entity_id, details)
           VALUES ($1, $2, $3, $4, $5) RETURNING at`,
          [ctx.user ? ctx.user.id : null, c.action, c.entity, String(c.entityId), c.details && JSON.stringify(c.details)],
        );
        c.at = rows[0].at;
      }
      return value;
    });
    for (const c of changes) {
      events.publish({
        type: c.action,
        entity: c.entity,
        id: c.entityId,
        userId: ctx.user ? ctx.user.id : null,
        at: c.at.toISOString(),
      });
    }
    return result;
  }

  const deps = { config, pool, disconnectUser: (userId) => events.disconnectUser(userId) };
  for (const register of routeModules) register(router, deps);

  async function dispatch(req, res, ctx) {
    const url = new URL(req.url, 'http://localhost');
    ctx.path = url.pathname;
    const { route, params, pathMatched } = router.match(req.method, url.pathname);
    if (!route) throw new HttpError(pathMatched ? 405 : 404, pathMatched ? 'method not allowed' : 'not found');
    ctx.params = params;
    ctx.query = url.searchParams;
    if (route.auth) {
      const token = bearerToken(req);
      if (!token) throw new HttpError(401, 'missing bearer token');
      ctx.user = await authenticate(pool, config, token);
      if (route.roles && !route.roles.includes(ctx.user.role)) {
        throw new HttpError(403, `role ${ctx.user.role} may not ${req.method} ${url.pathname}`);
      }
    }
    const body = await route.handler(ctx);
    sendJson(res, ctx.status, body);
  }

  async function handle(req, res) {
    const started = process.hrtime.bigint();
    const ctx = {
      req,
      res,
      status: 200,
      user: null,
      body: () => readJson(req),
      mutate: (fn) => mutate(ctx, fn),
    };
    try {
      await dispatch(req, res, ctx);
    } catch (err) {
      let status = 500;
      let payload = { error: 'internal server error' };
      if (err instanceof HttpError) {
        status = err.status;
        payload = { error: err.message, ...(err.details ? { details: err.details } : {}) };
      } else if (DB_UNAVAILABLE.has(err.code) || /timeout exceeded when trying to connect/.test(err.message)) {
        status = 503;
        payload.error = 'database unavailable';
        log({ level: 'error', msg: 'database unavailable', method: req.method, path: ctx.path, error: err.message });
      } else if (PG_CLIENT_ERRORS[err.code]) {
        [status, payload.error] = PG_CLIENT_ERRORS[err.code];
        if (err.constraint) payload.details = { constraint: err.constraint };
      } else {
        log({ level: 'error', msg: 'unhandled error', method: req.method, path: ctx.path, error: err.stack });
      }
      if (!res.headersSent) sendJson(res, status, payload);
      else res.destroy();
    }
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    log({
      level: 'info',
      method: req.method,
      path: ctx.path,
      status: res.statusCode,
      ms: +ms.toFixed(1),
      userId: ctx.user ? ctx.user.id : undefined,
    });
  }

  return {
    handle,
    setEvents(hub) {
      events = hub;
    },
    authenticateToken: (token) => authenticate(pool, config, token),
  };
}

module.exports = { createApp, log };
