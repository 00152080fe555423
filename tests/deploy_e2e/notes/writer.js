// A user who keeps writing: POST /notes every 50 ms and POST /login every 500 ms through the gate,
// until SIGTERM; each acknowledged write (2xx) is appended to OUT as one JSON line
// {"kind":"note"|"session","id"|"token",...}. Everything else (503 while writes are held) is counted.
"use strict";
const http = require("node:http");
const fs = require("node:fs");
const [base, out] = process.argv.slice(2);
const url = new URL(base);
let stop = false;
const counts = { acknowledged: 0, refused: 0, errors: 0 };

function post(path, body, headers = {}) {
  return new Promise((resolve) => {
    const data = JSON.stringify(body);
    const req = http.request(
      { host: url.hostname, port: url.port, path, method: "POST", agent: false, timeout: 5000,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(data), ...headers } },
      (res) => {
        let text = "";
        res.on("data", (c) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode, text }));
      });
    req.on("error", () => resolve({ status: 0, text: "" }));
    req.on("timeout", () => req.destroy());
    req.end(data);
  });
}

async function login() {
  const r = await post("/login", { name: "writer" });
  if (r.status !== 200) return null;
  const token = JSON.parse(r.text).token;
  fs.appendFileSync(out, JSON.stringify({ kind: "session", token }) + "\n");
  counts.acknowledged++;
  return token;
}

async function main() {
  let token = null;
  while (!token && !stop) token = await login();
  let n = 0;
  while (!stop && n < 20000) {
    n++;
    const started = Date.now();
    const r = await post("/notes", { text: `note ${n}` }, { authorization: `Bearer ${token}` });
    if (r.status >= 200 && r.status < 300) {
      fs.appendFileSync(out, JSON.stringify({ kind: "note", id: JSON.parse(r.text).id, n }) + "\n");
      counts.acknowledged++;
    } else if (r.status === 503) counts.refused++;
    else counts.errors++;
    if (n % 10 === 0) await login();
    await new Promise((d) => setTimeout(d, Math.max(0, 50 - (Date.now() - started))));
  }
  console.log(JSON.stringify(counts));
}
process.on("SIGTERM", () => (stop = true));
main();
