'use strict';

module.exports = function registerHealth(router, { config, pool }) {
  router.add(
    'GET',
    '/health',
    async (ctx) => {
      let database = 'ok';
      try {
        await pool.query('SELECT 1');
      } catch {
        database = 'unavailable';
      }
      ctx.status = database === 'ok' ? 200 : 503;
      return {
        status: database === 'ok' ? 'ok' : 'degraded',
        timestamp: new Date().toISOString(),
        uptime: Math.round(process.uptime()),
        release: config.release,
        database,
      };
    },
    { auth: false },
  );
};
