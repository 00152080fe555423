-- Release v3: DANGEROUS on purpose (this is what Slipway's checks should flag).
--  * DROP COLUMN breaks every still-running v1/v2 instance, which selects
--    "members"."legacy_code" (no expand/contract step in between).
--  * INTEGER -> BIGINT is not binary compatible: PostgreSQL rewrites the whole
--    "loans" table and rebuilds its indexes under an ACCESS EXCLUSIVE lock, so
--    reads and writes of loans block for the duration (minutes on big tables).

/*
  Warnings:

  - You are about to drop the column `legacy_code` on the `members` table. All the data in the column will be lost.

*/
-- AlterTable
ALTER TABLE "members" DROP COLUMN "legacy_code";

-- AlterTable
ALTER TABLE "loans" ALTER COLUMN "amount" SET DATA TYPE BIGINT;
