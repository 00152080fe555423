'use strict';
// An API for the smoke-flow tests (tests/verify/flow_test.cpp):
//   GET /stats        {"count":"42","owner":"ann","id":7}: a count returned as a string
//   GET /headers      the request's headers, as JSON
//   GET /eventually   {"ready":false} for the first two requests, then {"ready":true,"tries":N}
//   GET /never        {"ready":false}, always
//   node tests/verify/flow_server.js      prints "ready PORT"
const http = require('node:http');

let eventually = 0;
const server = http.createServer((req, res) => {
  const send = (body) => {
    const text = JSON.stringify(body);
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  };
  if (req.url === '/stats') return send({ count: '42', owner: 'ann', id: 7, ratio: '0.75' });
  if (req.url === '/headers') return send(req.headers);
  if (req.url === '/eventually') {
    eventually += 1;
    return send(eventually >= 3 ? { ready: true, tries: eventually } : { ready: false });
  }
  if (req.url === '/never') return send({ ready: false });
  res.writeHead(404, { 'Content-Length': 0 });
  res.end();
});
server.listen(0, '127.0.0.1', () => console.log(`ready ${server.address().port}`));
