// A tiny notes service that is not examples/loans: the app the stranger tests deploy. Plain
// node:http and pg. Users sign in (POST /login: a session row, the allow-listed write) and post
// notes with the session's token.
//   PORT, DATABASE_URL, RELEASE (reported by /health), BROKEN=1 (GET /notes answers 500)
"use strict";
const http = require("node:http");
const crypto = require("node:crypto");
const { Pool } = require("pg");

const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 4 });
const release = process.env.RELEASE || "dev";

function send(res, status, body) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    let text = "";
    req.setEncoding("utf8");
    req.on("data", (c) => {
      text += c;
      if (text.length > 65536) reject(new Error("too large"));
    });
    req.on("end", () => {
      try {
        resolve(text ? JSON.parse(text) : {});
      } catch (e) {
        reject(e);
      }
    });
  });
}

async function user(req) {
  const m = /^Bearer (\w+)$/.exec(req.headers.authorization || "");
  if (!m) return null;
  const r = await pool.query("SELECT name FROM sessions WHERE token = $1", [m[1]]);
  return r.rows[0] ? r.rows[0].name : null;
}

const server = http.createServer(async (req, res) => {
  try {
    const path = req.url.split("?")[0];
    if (req.method === "GET" && path === "/health") {
      await pool.query("SELECT 1");
      return send(res, 200, { status: "ok", release });
    }
    if (req.method === "POST" && path === "/login") {
      const body = await readBody(req);
      if (!body.name) return send(res, 400, { error: "name required" });
      const token = crypto.randomBytes(16).toString("hex");
      await pool.query("INSERT INTO sessions (token, name) VALUES ($1, $2)", [token, body.name]);
      return send(res, 200, { token });
    }
    if (path === "/notes") {
      if (req.method === "GET") {
        if (process.env.BROKEN === "1") return send(res, 500, { error: "broken release" });
        const r = await pool.query("SELECT count(*)::int AS n FROM notes");
        return send(res, 200, { count: r.rows[0].n });
      }
      if (req.method === "POST") {
        const name = await user(req);
        if (!name) return send(res, 401, { error: "sign in first" });
        const body = await readBody(req);
        const r = await pool.query("INSERT INTO notes (author, text) VALUES ($1, $2) RETURNING id", [
          name,
          String(body.text || ""),
        ]);
        return send(res, 201, { id: r.rows[0].id });
      }
    }
    send(res, 404, { error: "not found" });
  } catch (e) {
    send(res, 500, { error: String(e.message || e) });
  }
});

server.listen(Number(process.env.PORT), "127.0.0.1");
process.on("SIGTERM", () => server.close(() => pool.end().then(() => process.exit(0))));
