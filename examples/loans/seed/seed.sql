-- Demo data for the loans example. Works on the v1, v2 and v3 schemas and can
-- be run more than once (it appends; the known users are upserted).
--
--   psql "$DATABASE_URL" -v rows=100000 -f seed/seed.sql
--
-- Variables:
--   rows           number of loans to create (default 100000); members are
--                  rows/2, repayments rows*2, unions between 5 and 200
--   password_hash  password hash for every seeded user (default: the hash of
--                  'demo-password-1'); make one with
--                  node seed/hash-password.js 'another password'
--
-- Users: admin@example.com (ADMIN), supervisor@example.com and
-- supervisor2..5@example.com (SUPERVISOR), officer@example.com and
-- officer2..45@example.com (CREDIT_OFFICER).

\set ON_ERROR_STOP on
\if :{?rows}
\else
  \set rows 100000
\endif
\if :{?password_hash}
\else
  \set password_hash 'scrypt$3a3e11ddaa754d1219678c5e1c343525$f3ddc4b43685679475077cbed8dfce6b793590f33774c9dac0bbf3eb71a7150f8d71ecb2c5fb66f913f54765ad88f524e2f669d8cce54ca733c242ecde3e8ec8'
\endif

SET client_min_messages = warning;
SET TIME ZONE 'UTC';

BEGIN;

-- Nothing else may insert while ids are handed out below.
LOCK TABLE users, unions, members, loans, repayments IN SHARE ROW EXCLUSIVE MODE;

SELECT :rows::int AS loan_count,
       greatest(1, :rows::int / 2) AS member_count,
       greatest(5, least(200, :rows::int / 5000)) AS union_count,
       (SELECT COALESCE(max(id), 0) FROM unions) AS union_base,
       (SELECT COALESCE(max(id), 0) FROM members) AS member_base,
       (SELECT COALESCE(max(id), 0) FROM loans) AS loan_base,
       (SELECT COALESCE(max(id), 0) FROM repayments) AS repayment_base,
       EXISTS (SELECT 1 FROM information_schema.columns
               WHERE table_schema = current_schema() AND table_name = 'members'
                 AND column_name = 'legacy_code') AS has_legacy_code,
       EXISTS (SELECT 1 FROM information_schema.columns
               WHERE table_schema = current_schema() AND table_name = 'users'
                 AND column_name = 'supervisor_id') AS has_supervisor_id,
       (SELECT bool_and(pg_has_role(current_user, relowner, 'USAGE')) FROM pg_class
        WHERE oid IN ('members'::regclass, 'loans'::regclass, 'repayments'::regclass))
         AND :rows::int >= 50000 AS bulk_fk_check
\gset

-- Checking foreign keys row by row is most of the cost of a big insert. For
-- big seeds (rows >= 50000), when we own the tables, drop the foreign keys of
-- the tables filled below and add them back, exactly as they were, after the
-- inserts: PostgreSQL then checks each constraint with one query over the
-- whole table. It is all one transaction; the tables are locked meanwhile.
\if :bulk_fk_check
CREATE TEMP TABLE seed_foreign_keys ON COMMIT DROP AS
SELECT conrelid::regclass::text AS tbl, conname, pg_get_constraintdef(oid) AS def
FROM pg_constraint
WHERE contype = 'f' AND conrelid IN ('members'::regclass, 'loans'::regclass, 'repayments'::regclass);

DO $$
DECLARE fk record;
BEGIN
  FOR fk IN SELECT * FROM seed_foreign_keys LOOP
    EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', fk.tbl, fk.conname);
  END LOOP;
END $$;
\endif

-- Users -----------------------------------------------------------------------
INSERT INTO users (email, password_hash, role)
SELECT email, :'password_hash', role::"Role"
FROM (VALUES ('admin@example.com', 'ADMIN'),
             ('supervisor@example.com', 'SUPERVISOR'),
             ('officer@example.com', 'CREDIT_OFFICER')
      UNION ALL
      SELECT format('supervisor%s@example.com', g), 'SUPERVISOR' FROM generate_series(2, 5) g
      UNION ALL
      SELECT format('officer%s@example.com', g), 'CREDIT_OFFICER' FROM generate_series(2, 45) g
     ) AS seeded(email, role)
ON CONFLICT (email) DO UPDATE SET password_hash = EXCLUDED.password_hash;

\if :has_supervisor_id
UPDATE users
SET supervisor_id = (SELECT id FROM users WHERE email = 'supervisor@example.com')
WHERE role = 'CREDIT_OFFICER' AND supervisor_id IS NULL;
\endif

SELECT id AS officer_id FROM users WHERE email = 'officer@example.com' \gset

-- Unions, members, loans, repayments (explicit ids, sequences set afterwards) --
INSERT INTO unions (id, name, charter_number, created_at)
SELECT :union_base + g,
       format('Credit Union %s', :union_base + g),
       format('SEED-%s', lpad((:union_base + g)::text, 6, '0')),
       now() - interval '5 years'
FROM generate_series(1, :union_count) g;

\if :has_legacy_code
INSERT INTO members (id, union_id, full_name, email, legacy_code, created_at)
SELECT :member_base + g,
       :union_base + 1 + g % :union_count,
       format('Member %s', :member_base + g),
       format('member%s@example.org', :member_base + g),
       format('LC-%s', lpad((:member_base + g)::text, 8, '0')),
       now() - interval '4 years' + (g % 365) * interval '1 day'
FROM generate_series(1, :member_count) g;
\else
INSERT INTO members (id, union_id, full_name, email, created_at)
SELECT :member_base + g,
       :union_base + 1 + g % :union_count,
       format('Member %s', :member_base + g),
       format('member%s@example.org', :member_base + g),
       now() - interval '4 years' + (g % 365) * interval '1 day'
FROM generate_series(1, :member_count) g;
\endif

-- Amounts: 1,000.00 to 50,000.00 in cents; each loan gets two repayments of
-- one twelfth of its amount, so every seeded loan stays ACTIVE (or DEFAULTED).
INSERT INTO loans (id, member_id, amount, interest_rate, term_months, status, created_by_id, created_at)
SELECT :loan_base + g,
       :member_base + 1 + g % :member_count,
       100000 + (g % 491) * 7919 % 491 * 10000,
       4 + g % 12 + (g % 4) * 0.25,
       12 * (1 + g % 5),
       (CASE WHEN g % 50 = 0 THEN 'DEFAULTED' ELSE 'ACTIVE' END)::"LoanStatus",
       :officer_id,
       now() - interval '3 years' + (g % 730) * interval '1 day'
FROM generate_series(1, :loan_count) g;

INSERT INTO repayments (id, loan_id, amount, paid_at, created_by_id, created_at)
SELECT :repayment_base + (g - 1) * 2 + k,
       :loan_base + g,
       (100000 + (g % 491) * 7919 % 491 * 10000) / 12,
       now() - interval '3 years' + (g % 730 + 30 * k) * interval '1 day',
       :officer_id,
       now() - interval '3 years' + (g % 730 + 30 * k) * interval '1 day'
FROM generate_series(1, :loan_count) g, generate_series(1, 2) k;

SELECT setval(pg_get_serial_sequence('unions', 'id'), (SELECT max(id) FROM unions)),
       setval(pg_get_serial_sequence('members', 'id'), (SELECT max(id) FROM members)),
       setval(pg_get_serial_sequence('loans', 'id'), (SELECT max(id) FROM loans)),
       setval(pg_get_serial_sequence('repayments', 'id'), (SELECT max(id) FROM repayments))
\gset seq_

\if :bulk_fk_check
DO $$
DECLARE fk record;
BEGIN
  FOR fk IN SELECT * FROM seed_foreign_keys LOOP
    EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I %s', fk.tbl, fk.conname, fk.def);
  END LOOP;
END $$;
\endif

COMMIT;

ANALYZE users;
ANALYZE unions;
ANALYZE members;
ANALYZE loans;
ANALYZE repayments;

\echo seeded :union_count unions, :member_count members, :loan_count loans, and two repayments per loan
