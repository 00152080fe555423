'use strict';

// Row <-> JSON mapping. Release differences in the data model live here:
// v2 adds users.supervisor_id, v3 drops members.legacy_code.

const userColumns = (release) => `id, email, role, created_at${release >= 2 ? ', supervisor_id' : ''}`;

function user(r) {
  const out = { id: r.id, email: r.email, role: r.role, createdAt: r.created_at };
  if ('supervisor_id' in r) out.supervisorId = r.supervisor_id;
  return out;
}

const unionColumns = 'id, name, charter_number, created_at';

const union = (r) => ({ id: r.id, name: r.name, charterNumber: r.charter_number, createdAt: r.created_at });

const memberColumns = (release) => `id, union_id, full_name, email, created_at${release >= 3 ? '' : ', legacy_code'}`;

function member(r) {
  const out = { id: r.id, unionId: r.union_id, fullName: r.full_name, email: r.email, createdAt: r.created_at };
  if ('legacy_code' in r) out.legacyCode = r.legacy_code;
  return out;
}

const loanColumns = 'id, member_id, amount, interest_rate, term_months, status, created_by_id, created_at';

function loan(r) {
  const out = {
    id: r.id,
    memberId: r.member_id,
    amount: Number(r.amount), // INTEGER before v3, BIGINT (a string from pg) after
    interestRate: Number(r.interest_rate),
    termMonths: r.term_months,
    status: r.status,
    createdById: r.created_by_id,
    createdAt: r.created_at,
  };
  if ('repaid' in r) {
    out.repaidAmount = Number(r.repaid);
    out.outstandingAmount = out.amount - out.repaidAmount;
  }
  return out;
}

const repaymentColumns = 'id, loan_id, amount, paid_at, created_by_id, created_at';

const repayment = (r) => ({
  id: r.id,
  loanId: r.loan_id,
  amount: Number(r.amount),
  paidAt: r.paid_at,
  createdById: r.created_by_id,
  createdAt: r.created_at,
});

const auditEntry = (r) => ({
  id: r.id,
  userId: r.user_id,
  action: r.action,
  entity: r.entity,
  entityId: r.entity_id,
  at: r.at,
  details: r.details,
});

module.exports = {
  userColumns,
  user,
  unionColumns,
  union,
  memberColumns,
  member,
  loanColumns,
  loan,
  repaymentColumns,
  repayment,
  auditEntry,
};
