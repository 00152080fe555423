'use strict';

const { Pool, types } = require('pg');

// Columns are TIMESTAMP(3) WITHOUT TIME ZONE (Prisma's default) holding UTC:
// sessions run with TimeZone=UTC and values are parsed as UTC, not local time.
types.setTypeParser(types.builtins.TIMESTAMP, (s) => new Date(`${s.replace(' ', 'T')}Z`));

function createPool(connectionString) {
  const pool = new Pool({
    connectionString,
    max: 10,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30000,
    options: '-c TimeZone=UTC -c statement_timeout=30000',
  });
  // An idle client losing its connection must not crash the process.
  pool.on('error', (err) => console.error(JSON.stringify({ level: 'error', msg: 'idle pg client error', error: err.message })));
  return pool;
}

async function withTransaction(pool, fn) {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    client.release();
    return result;
  } catch (err) {
    try {
      await client.query('ROLLBACK');
      client.release();
    } catch (rollbackErr) {
      client.release(rollbackErr); // discard the broken connection
    }
    throw err;
  }
}

module.exports = { createPool, withTransaction };
