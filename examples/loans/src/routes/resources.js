'use strict';

const {
  HttpError,
  MAX_INT4,
  parseId,
  requireInt,
  requireString,
  queryInt,
  pagination,
} = require('../http');
const model = require('../model');

const ANY_STAFF = ['ADMIN', 'SUPERVISOR', 'CREDIT_OFFICER'];
const SUPERVISORS = ['ADMIN', 'SUPERVISOR'];
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

module.exports = function registerResources(router, { config, pool }) {
  const release = config.releaseNumber;
  // loans.amount is INTEGER up to v2 and BIGINT from v3 on.
  const maxLoanAmount = release >= 3 ? Number.MAX_SAFE_INTEGER : MAX_INT4;

  async function findOne(sql, params, what) {
    const { rows } = await pool.query(sql, params);
    if (rows.length === 0) throw new HttpError(404, `${what} not found`);
    return rows[0];
  }

  // ---- unions ---------------------------------------------------------------

  router.add('GET', '/api/unions', async (ctx) => {
    const { limit, offset } = pagination(ctx.query);
    const { rows } = await pool.query(`SELECT ${model.unionColumns} FROM unions ORDER BY id LIMIT $1 OFFSET $2`, [
      limit,
      offset,
    ]);
    return { items: rows.map(model.union), limit, offset };
  });

  router.add('GET', '/api/unions/:id', async (ctx) => {
    const id = parseId(ctx.params.id, 'union');
    return model.union(await findOne(`SELECT ${model.unionColumns} FROM unions WHERE id = $1`, [id], 'union'));
  });

  router.add(
    'POST',
    '/api/unions',
    async (ctx) => {
      const body = await ctx.body();
      const name = requireString(body, 'name');
      const charterNumber = requireString(body, 'charterNumber', { max: 50 });
      ctx.status = 201;
      return ctx.mutate(async (client, record) => {
        const { rows } = await client.query(
          `INSERT INTO unions (name, charter_number) VALUES ($1, $2) RETURNING ${model.unionColumns}`,
          [name, charterNumber],
        );
        record('union.created', 'union', rows[0].id, { name, charterNumber });
        return model.union(rows[0]);
      });
    },
    { roles: SUPERVISORS },
  );

  // ---- members --------------------------------------------------------------

  const memberColumns = model.memberColumns(release);

  router.add('GET', '/api/members', async (ctx) => {
    const { limit, offset } = pagination(ctx.query);
    const unionId = queryInt(ctx.query, 'unionId', { fallback: null, min: 1, max: MAX_INT4 });
    const { rows } = await pool.query(
      `SELECT ${memberColumns} FROM members WHERE ($3::int IS NULL OR union_id = $3)
       ORDER BY id LIMIT $1 OFFSET $2`,
      [limit, offset, unionId],
    );
    return { items: rows.map(model.member), limit, offset };
  });

  router.add('GET', '/api/members/:id', async (ctx) => {
    const id = parseId(ctx.params.id, 'member');
    return model.member(await findOne(`SELECT ${memberColumns} FROM members WHERE id = $1`, [id], 'member'));
  });

  router.add(
    'POST',
    '/api/members',
    async (ctx) => {
      const body = await ctx.body();
      const unionId = requireInt(body, 'unionId');
      const fullName = requireString(body, 'fullName');
      const email = requireString(body, 'email', { max: 254, optional: true, pattern: EMAIL });
      ctx.status = 201;
      return ctx.mutate(async (client, record) => {
        const { rows } = await client.query(
          `INSERT INTO members (union_id, full_name, email) VALUES ($1, $2, $3) RETURNING ${memberColumns}`,
          [unionId, fullName, email],
        );
        record('member.created', 'member', rows[0].id, { unionId });
        return model.member(rows[0]);
      });
    },
    { roles: ANY_STAFF },
  );

  // ---- loans ----------------------------------------------------------------

  const loanWithRepaid = `SELECT ${model.loanColumns},
      COALESCE((SELECT sum(r.amount) FROM repayments r WHERE r.loan_id = loans.id), 0) AS repaid
    FROM loans WHERE id = $1`;

  router.add('GET', '/api/loans', async (ctx) => {
    const { limit, offset } = pagination(ctx.query);
    const memberId = queryInt(ctx.query, 'memberId', { fallback: null, min: 1, max: MAX_INT4 });
    const { rows } = await pool.query(
      `SELECT ${model.loanColumns} FROM loans WHERE ($3::int IS NULL OR member_id = $3)
       ORDER BY id LIMIT $1 OFFSET $2`,
      [limit, offset, memberId],
    );
    return { items: rows.map(model.loan), limit, offset };
  });

  router.add('GET', '/api/loans/:id', async (ctx) => {
    const id = parseId(ctx.params.id, 'loan');
    return model.loan(await findOne(loanWithRepaid, [id], 'loan'));
  });

  router.add(
    'POST',
    '/api/loans',
    async (ctx) => {
      const body = await ctx.body();
      const memberId = requireInt(body, 'memberId');
      const amount = requireInt(body, 'amount', { max: maxLoanAmount });
      const termMonths = requireInt(body, 'termMonths', { max: 480 });
      const rate = body.interestRate;
      if (typeof rate !== 'number' || !Number.isFinite(rate) || rate < 0 || rate > 100) {
        throw new HttpError(400, 'interestRate must be a number between 0 and 100 (percent per year)');
      }
      ctx.status = 201;
      return ctx.mutate(async (client, record) => {
        const { rows } = await client.query(
          `INSERT INTO loans (member_id, amount, interest_rate, term_months, created_by_id)
           VALUES ($1, $2, $3, $4, $5) RETURNING ${model.loanColumns}`,
          [memberId, amount, rate.toFixed(2), termMonths, ctx.user.id],
        );
        record('loan.created', 'loan', rows[0].id, { memberId, amount });
        return model.loan(rows[0]);
      });
    },
    { roles: ANY_STAFF },
  );

  // ---- repayments -----------------------------------------------------------

  router.add('GET', '/api/loans/:id/repayments', async (ctx) => {
    const loanId = parseId(ctx.params.id, 'loan');
    const { limit, offset } = pagination(ctx.query);
    await findOne('SELECT id FROM loans WHERE id = $1', [loanId], 'loan');
    const { rows } = await pool.query(
      `SELECT ${model.repaymentColumns} FROM repayments WHERE loan_id = $1 ORDER BY id LIMIT $2 OFFSET $3`,
      [loanId, limit, offset],
    );
    return { items: rows.map(model.repayment), limit, offset };
  });

  router.add(
    'POST',
    '/api/loans/:id/repayments',
    async (ctx) => {
      const loanId = parseId(ctx.params.id, 'loan');
      const body = await ctx.body();
      const amount = requireInt(body, 'amount');
      ctx.status = 201;
      return ctx.mutate(async (client, record) => {
        // Lock the loan so concurrent repayments cannot overpay it.
        const loan = (await client.query('SELECT id, amount, status FROM loans WHERE id = $1 FOR UPDATE', [loanId]))
          .rows[0];
        if (!loan) throw new HttpError(404, 'loan not found');
        if (loan.status !== 'ACTIVE') throw new HttpError(409, `loan is ${loan.status}, not ACTIVE`);
        const paid = await client.query('SELECT COALESCE(sum(amount), 0) AS repaid FROM repayments WHERE loan_id = $1', [
          loanId,
        ]);
        const outstanding = Number(loan.amount) - Number(paid.rows[0].repaid);
        if (amount > outstanding) {
          throw new HttpError(400, `amount exceeds the outstanding balance of ${outstanding}`);
        }
        const { rows } = await client.query(
          `INSERT INTO repayments (loan_id, amount, created_by_id) VALUES ($1, $2, $3) RETURNING ${model.repaymentColumns}`,
          [loanId, amount, ctx.user.id],
        );
        record('repayment.created', 'repayment', rows[0].id, { loanId, amount });
        if (amount === outstanding) {
          await client.query(`UPDATE loans SET status = 'PAID' WHERE id = $1`, [loanId]);
          record('loan.paid', 'loan', loanId);
        }
        return model.repayment(rows[0]);
      });
    },
    { roles: ANY_STAFF },
  );
};
