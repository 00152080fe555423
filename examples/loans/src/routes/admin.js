'use strict';

const { pagination } = require('../http');
const model = require('../model');

module.exports = function registerAdmin(router, { config, pool }) {
  const ADMIN = { roles: ['ADMIN'] };

  router.add(
    'GET',
    '/api/users',
    async (ctx) => {
      const { limit, offset } = pagination(ctx.query);
      const { rows } = await pool.query(
        `SELECT ${model.userColumns(config.releaseNumber)} FROM users ORDER BY id LIMIT $1 OFFSET $2`,
        [limit, offset],
      );
      return { items: rows.map(model.user), limit, offset };
    },
    ADMIN,
  );

  // Newest first; ?entity=loan&entityId=42 narrows it down.
  router.add(
    'GET',
    '/api/audit-log',
    async (ctx) => {
      const { limit, offset } = pagination(ctx.query);
      const { rows } = await pool.query(
        `SELECT id, user_id, action, entity, entity_id, at, details FROM audit_log
         WHERE ($3::text IS NULL OR entity = $3) AND ($4::text IS NULL OR entity_id = $4)
         ORDER BY id DESC LIMIT $1 OFFSET $2`,
        [limit, offset, ctx.query.get('entity'), ctx.query.get('entityId')],
      );
      return { items: rows.map(model.auditEntry), limit, offset };
    },
    ADMIN,
  );
};
