-- Release v2: additive ("expand") changes only; the v1 application keeps
-- working against this schema. A nullable column without a default is a
-- catalog-only change; "users" is a small table (50-100 rows), so the plain
-- CREATE INDEX holds its SHARE lock for milliseconds; "report_sessions" is new
-- and empty, so its index and foreign key cost nothing. There is deliberately
-- no foreign key on "users"."supervisor_id": adding one to an existing table
-- safely takes NOT VALID plus a VALIDATE in a later transaction.

-- AlterTable
ALTER TABLE "users" ADD COLUMN     "supervisor_id" INTEGER;

-- CreateTable
CREATE TABLE "report_sessions" (
    "id" SERIAL NOT NULL,
    "user_id" INTEGER NOT NULL,
    "report" TEXT NOT NULL,
    "params" JSONB,
    "row_count" INTEGER,
    "started_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_at" TIMESTAMP(3),

    CONSTRAINT "report_sessions_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "users_supervisor_id_idx" ON "users"("supervisor_id");

-- CreateIndex
CREATE INDEX "report_sessions_user_id_idx" ON "report_sessions"("user_id");

-- AddForeignKey
ALTER TABLE "report_sessions" ADD CONSTRAINT "report_sessions_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
