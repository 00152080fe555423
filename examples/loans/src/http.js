'use strict';

class HttpError extends Error {
  constructor(status, message, details) {
    super(message);
    this.status = status;
    this.details = details;
  }
}

function sendJson(res, status, body) {
  const data = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(data),
    'cache-control': 'no-store',
  });
  res.end(data);
}

const MAX_BODY_BYTES = 64 * 1024;

async function readJson(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'request body too large');
    chunks.push(chunk);
  }
  if (size === 0) return {};
  let body;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'request body is not valid JSON');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new HttpError(400, 'request body must be a JSON object');
  }
  return body;
}

// Minimal router: '/api/loans/:id/repayments' style patterns.
class Router {
  constructor() {
    this.routes = [];
  }

  add(method, pattern, handler, { auth = true, roles = null } = {}) {
    const names = [];
    const source = pattern.replace(/:(\w+)/g, (_, name) => {
      names.push(name);
      return '([^/]+)';
    });
    this.routes.push({ method, regex: new RegExp(`^${source}/?$`), names, handler, auth, roles });
  }

  match(method, pathname) {
    let pathMatched = false;
    for (const route of this.routes) {
      const m = route.regex.exec(pathname);
      if (!m) continue;
      pathMatched = true;
      if (route.method !== method) continue;
      const params = {};
      route.names.forEach((name, i) => {
        try {
          params[name] = decodeURIComponent(m[i + 1]);
        } catch {
          params[name] = m[i + 1]; // malformed %-escape: keep raw, validation rejects it
        }
      });
      return { route, params };
    }
    return { pathMatched };
  }
}

// ---- input validation -------------------------------------------------------

const MAX_INT4 = 2147483647;

// Path ids: anything that is not an id of an existing row is simply "not found".
function parseId(value, what) {
  if (!/^[1-9]\d{0,9}$/.test(value) || Number(value) > MAX_INT4) throw new HttpError(404, `${what} not found`);
  return Number(value);
}

function requireInt(body, field, { min = 1, max = MAX_INT4, optional = false } = {}) {
  const v = body[field];
  if (v === undefined || v === null) {
    if (optional) return null;
    throw new HttpError(400, `${field} is required`);
  }
  if (!Number.isSafeInteger(v) || v < min || v > max) {
    throw new HttpError(400, `${field} must be an integer between ${min} and ${max}`);
  }
  return v;
}

function requireString(body, field, { max = 200, optional = false, pattern = null } = {}) {
  const v = body[field];
  if (v === undefined || v === null || v === '') {
    if (optional) return null;
    throw new HttpError(400, `${field} is required`);
  }
  if (typeof v !== 'string' || v.trim().length === 0 || v.length > max) {
    throw new HttpError(400, `${field} must be a non-empty string of at most ${max} characters`);
  }
  if (pattern && !pattern.test(v)) throw new HttpError(400, `${field} is not valid`);
  return v.trim();
}

function queryInt(query, name, { fallback, min, max }) {
  const raw = query.get(name);
  if (raw === null || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new HttpError(400, `query parameter ${name} must be an integer between ${min} and ${max}`);
  }
  return Number(raw);
}

function pagination(query) {
  return {
    limit: queryInt(query, 'limit', { fallback: 100, min: 1, max: 500 }),
    offset: queryInt(query, 'offset', { fallback: 0, min: 0, max: Number.MAX_SAFE_INTEGER }),
  };
}

module.exports = {
  HttpError,
  sendJson,
  readJson,
  Router,
  MAX_INT4,
  parseId,
  requireInt,
  requireString,
  queryInt,
  pagination,
};
