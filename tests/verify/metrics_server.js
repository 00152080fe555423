'use strict';
// A Prometheus endpoint for the soak tests: /metrics reports process_resident_memory_bytes that
// grows by 4 MB with every scrape ("grow") or stays near 100 MB ("flat"); any other path is a
// small 200, for the soak's load.
//   node tests/verify/metrics_server.js grow|flat      prints "ready PORT"
const http = require('node:http');

const mode = process.argv[2] || 'flat';
let scrapes = 0;

const server = http.createServer((req, res) => {
  if (req.url !== '/metrics') {
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': 3 });
    res.end('ok\n');
    return;
  }
  scrapes += 1;
  const base = 100e6;
  const rss = mode === 'grow' ? base + scrapes * 4e6 : base + (scrapes % 3) * 0.5e6;
  const body = [
    '# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.',
    '# TYPE process_cpu_seconds_total counter',
    `process_cpu_seconds_total ${scrapes * 0.01}`,
    '# HELP process_resident_memory_bytes Resident memory size in bytes.',
    '# TYPE process_resident_memory_bytes gauge',
    `process_resident_memory_bytes ${rss.toExponential()}`,
    `process_resident_memory_bytes_total_fake{kind="x"} 1`,
    `http_requests_total{method="GET",path="/a}b"} ${scrapes}`,
    '',
  ].join('\n');
  res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => console.log(`ready ${server.address().port}`));
