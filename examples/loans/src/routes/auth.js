'use strict';

const { HttpError, requireString } = require('../http');
const model = require('../model');
const {
  verifyPassword,
  DUMMY_HASH,
  signAccessToken,
  hashRefreshToken,
  issueRefreshToken,
} = require('../auth');

module.exports = function registerAuth(router, { config, pool, disconnectUser }) {
  const session = (user, refreshToken) => ({
    accessToken: signAccessToken(user, config),
    refreshToken,
    tokenType: 'Bearer',
    expiresIn: config.accessTokenTtl,
    user: { id: user.id, email: user.email, role: user.role },
  });

  router.add(
    'POST',
    '/api/auth/login',
    async (ctx) => {
      const body = await ctx.body();
      const email = requireString(body, 'email', { max: 254 }).toLowerCase();
      const { password } = body;
      if (typeof password !== 'string' || password.length === 0 || password.length > 1024) {
        throw new HttpError(400, 'password is required');
      }
      const { rows } = await pool.query(
        'SELECT id, email, role, password_hash, token_version FROM users WHERE email = $1',
        [email],
      );
      const user = rows[0];
      const valid = await verifyPassword(password, user ? user.password_hash : DUMMY_HASH);
      if (!user || !valid) {
        await pool.query(
          `INSERT INTO audit_log (user_id, action, entity, entity_id, details)
           VALUES ($1, 'auth.login_failed', 'user', $2, $3)`,
          [user ? user.id : null, user ? String(user.id) : null, JSON.stringify({ email })],
        );
        throw new HttpError(401, 'invalid email or password');
      }
      ctx.user = user;
      return ctx.mutate(async (client, record) => {
        const refreshToken = await issueRefreshToken(client, user.id, config);
        record('auth.login', 'user', user.id);
        return session(user, refreshToken);
      });
    },
    { auth: false },
  );

  // Rotation: the presented refresh token is revoked and a new one issued.
  router.add(
    'POST',
    '/api/auth/refresh',
    async (ctx) => {
      const { refreshToken } = await ctx.body();
      if (typeof refreshToken !== 'string' || refreshToken.length === 0 || refreshToken.length > 256) {
        throw new HttpError(400, 'refreshToken is required');
      }
      const result = await ctx.mutate(async (client, record) => {
        const { rows } = await client.query(
          `UPDATE refresh_tokens SET revoked_at = now()
           WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > now()
           RETURNING user_id`,
          [hashRefreshToken(refreshToken)],
        );
        if (rows.length === 0) return null;
        const user = (
          await client.query('SELECT id, email, role, token_version FROM users WHERE id = $1', [rows[0].user_id])
        ).rows[0];
        ctx.user = user;
        const next = await issueRefreshToken(client, user.id, config);
        record('auth.refresh', 'user', user.id);
        return session(user, next);
      });
      if (!result) throw new HttpError(401, 'invalid, expired or revoked refresh token');
      return result;
    },
    { auth: false },
  );

  // Revokes every refresh token of the user and, by bumping token_version,
  // every access token issued so far (checked on each request).
  router.add('POST', '/api/auth/logout', async (ctx) => {
    await ctx.mutate(async (client, record) => {
      await client.query('UPDATE users SET token_version = token_version + 1 WHERE id = $1', [ctx.user.id]);
      const { rowCount } = await client.query(
        'UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL',
        [ctx.user.id],
      );
      record('auth.logout', 'user', ctx.user.id, { revokedRefreshTokens: rowCount });
    });
    disconnectUser(ctx.user.id);
    return { status: 'logged_out' };
  });

  router.add('GET', '/api/me', async (ctx) => {
    const { rows } = await pool.query(`SELECT ${model.userColumns(config.releaseNumber)} FROM users WHERE id = $1`, [
      ctx.user.id,
    ]);
    return model.user(rows[0]);
  });
};
