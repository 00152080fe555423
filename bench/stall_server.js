'use strict';
// A target that stalls: every `period` ms it stops answering for `stall` ms, then answers all it
// held back. Used by bench/verify.sh to show coordinated-omission correction.
//   node bench/stall_server.js PORT [period_ms=10000] [stall_ms=1000]
// Prints "ready PORT" once listening. The first stall starts one period after start-up.
const http = require('node:http');

const port = Number(process.argv[2] || 0);
const period = Number(process.argv[3] || 10000);
const stall = Number(process.argv[4] || 1000);
const started = Date.now();
const body = 'ok\n';

function stalledFor(now) {
  const t = (now - started) % period;
  // The last `stall` ms of each period.
  return t >= period - stall ? period - t : 0;
}

const server = http.createServer((req, res) => {
  const answer = () => {
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': body.length });
    res.end(body);
  };
  const wait = stalledFor(Date.now());
  if (wait > 0) setTimeout(answer, wait);
  else answer();
});
server.keepAliveTimeout = 60000;
server.listen(port, '127.0.0.1', () => console.log(`ready ${server.address().port}`));
process.on('SIGTERM', () => process.exit(0));
