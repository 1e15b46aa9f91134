-- The reminder outbox (changes that affect reminders, written in the same transaction as the
-- change and applied to Temporal by the relay) and the stored answers of POST creates sent with an
-- Idempotency-Key.
-- (No semicolons or quotes in these comments: Prisma splits the script on them.)
-- CreateEnum
CREATE TYPE "ReminderChangeKind" AS ENUM ('contact', 'rule', 'company');

-- CreateTable
CREATE TABLE "ReminderChange" (
    "id" BIGSERIAL NOT NULL,
    "companyId" TEXT NOT NULL,
    "kind" "ReminderChangeKind" NOT NULL,
    "subjectId" TEXT NOT NULL,
    "ruleKind" "ContactKind",
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "availableAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastError" TEXT,
    "leasedUntil" TIMESTAMP(3),
    "leasedBy" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ReminderChange_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "IdempotentRequest" (
    "companyId" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "requestHash" TEXT NOT NULL,
    "status" INTEGER NOT NULL,
    "body" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "IdempotentRequest_pkey" PRIMARY KEY ("companyId","key")
);

-- CreateIndex
CREATE INDEX "ReminderChange_availableAt_id_idx" ON "ReminderChange"("availableAt", "id");

-- CreateIndex
CREATE INDEX "ReminderChange_kind_subjectId_idx" ON "ReminderChange"("kind", "subjectId");

-- CreateIndex
CREATE INDEX "IdempotentRequest_createdAt_idx" ON "IdempotentRequest"("createdAt");

