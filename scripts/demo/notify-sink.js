// A local notification sink for the demo and the end-to-end tests: an HTTP server on 127.0.0.1
// that records every request it gets (a webhook POST from `slipway deploy`) as one JSON line
// {"at","method","path","headers","body"} in FILE, and answers 200 {"ok":true}.
//
//   node scripts/demo/notify-sink.js FILE [PORT]     # prints "listening PORT" once it listens
//
// PORT 0 (the default) picks a free port. Stops on SIGTERM/SIGINT. While the file named by
// SINK_SLOW_FILE exists, answers only after 60 s (tests use it to hold a deploy in its notify phase).
"use strict";
const http = require("node:http");
const fs = require("node:fs");

const [file, port = "0"] = process.argv.slice(2);
if (!file) {
  console.error("usage: node notify-sink.js FILE [PORT]");
  process.exit(2);
}
fs.writeFileSync(file, "", { flag: "a" });

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const text = Buffer.concat(chunks).toString("utf8");
    let body = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    const line = { at: new Date().toISOString(), method: req.method, path: req.url, headers: req.headers, body };
    fs.appendFileSync(file, JSON.stringify(line) + "\n");
    const slow = process.env.SINK_SLOW_FILE && fs.existsSync(process.env.SINK_SLOW_FILE);
    setTimeout(() => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"ok":true}');
    }, slow ? 60000 : 0);
  });
});
server.listen(Number(port), "127.0.0.1", () => {
  console.log(`listening ${server.address().port}`);
});
for (const sig of ["SIGTERM", "SIGINT"]) process.on(sig, () => server.close(() => process.exit(0)));
