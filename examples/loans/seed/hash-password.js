#!/usr/bin/env node
'use strict';

// Prints the password hash the app verifies ("scrypt$<salt>$<hash>"), for the
// seed's password_hash variable:
//   psql "$DATABASE_URL" -v rows=1000 \
//        -v password_hash="$(node seed/hash-password.js 'my password')" -f seed/seed.sql
const { hashPassword } = require('../src/auth');

const password = process.argv[2];
if (!password) {
  console.error('usage: node seed/hash-password.js <password>');
  process.exit(2);
}
hashPassword(password).then((hash) => console.log(hash));
