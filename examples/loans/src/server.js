'use strict';

const http = require('node:http');
const { loadConfig } = require('./config');
const { createPool } = require('./db');
const { createApp, log } = require('./app');
const { createEventHub } = require('./events');

function main() {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    console.error(`configuration error: ${err.message}`);
    process.exit(2);
  }

  const pool = createPool(config.databaseUrl);
  const app = createApp({ config, pool });
  const server = http.createServer(app.handle);
  const events = createEventHub({ server, authenticate: app.authenticateToken, release: config.release });
  app.setEvents(events);

  server.listen(config.port, config.host, () => {
    const { address, port } = server.address();
    log({ level: 'info', msg: 'listening', host: address, port, release: config.release, migration: config.lastMigration });
  });

  let stopping = false;
  const shutdown = (signal) => {
    if (stopping) return;
    stopping = true;
    log({ level: 'info', msg: 'shutting down', signal });
    events.close();
    server.close(() => pool.end().then(() => process.exit(0)));
    server.closeIdleConnections();
    setTimeout(() => process.exit(1), 10000).unref();
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main();
