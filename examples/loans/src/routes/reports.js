'use strict';

const PORTFOLIO_SQL = `
  SELECT u.id, u.name,
         COALESCE(l.loan_count, 0) AS loan_count,
         COALESCE(l.principal, 0)  AS principal,
         COALESCE(r.repaid, 0)     AS repaid
  FROM unions u
  LEFT JOIN (SELECT m.union_id, count(*) AS loan_count, sum(lo.amount) AS principal
             FROM loans lo JOIN members m ON m.id = lo.member_id
             GROUP BY m.union_id) l ON l.union_id = u.id
  LEFT JOIN (SELECT m.union_id, sum(rp.amount) AS repaid
             FROM repayments rp
             JOIN loans lo ON lo.id = rp.loan_id
             JOIN members m ON m.id = lo.member_id
             GROUP BY m.union_id) r ON r.union_id = u.id
  ORDER BY u.id`;

module.exports = function registerReports(router, { config, pool }) {
  const release = config.releaseNumber;

  // count() and sum() come back from node-postgres as strings (int8/numeric),
  // so they are converted with Number().
  //
  // DELIBERATE BUG in v3 (see README, "The v3 bug"): with loans.amount now
  // BIGINT the conversion was dropped ("no precision loss"). The per-union
  // figures are then strings, and the totals below are built with `+`, i.e. by
  // string concatenation: "0" + "1200" + "800" = "01200800".
  const toNumber = release >= 3 ? (v) => v : Number;

  router.add('GET', '/api/reports/portfolio', async (ctx) => {
    let sessionId;
    if (release >= 2) {
      const { rows } = await pool.query(
        `INSERT INTO report_sessions (user_id, report, params) VALUES ($1, 'portfolio', $2) RETURNING id`,
        [ctx.user.id, JSON.stringify(Object.fromEntries(ctx.query))],
      );
      sessionId = rows[0].id;
    }

    const { rows } = await pool.query(PORTFOLIO_SQL);
    const unions = rows.map((r) => ({
      unionId: r.id,
      name: r.name,
      loanCount: toNumber(r.loan_count),
      principal: toNumber(r.principal),
      repaid: toNumber(r.repaid),
      outstanding: toNumber(r.principal) - toNumber(r.repaid),
    }));
    const totals = { loanCount: 0, principal: 0, repaid: 0, outstanding: 0 };
    for (const u of unions) {
      totals.loanCount += u.loanCount;
      totals.principal += u.principal;
      totals.repaid += u.repaid;
      totals.outstanding += u.outstanding;
    }

    if (sessionId !== undefined) {
      await pool.query('UPDATE report_sessions SET finished_at = now(), row_count = $2 WHERE id = $1', [
        sessionId,
        unions.length,
      ]);
    }
    return {
      generatedAt: new Date().toISOString(),
      ...(sessionId !== undefined ? { sessionId } : {}),
      currency: 'cents',
      unions,
      totals,
    };
  });
};
