-- The delivery ledger status becomes an enum (transitions in src/ledger/ledger.ts), the
-- provider own progress moves to its own column, fan-out progress gets a generation guard.
-- (No semicolons or quotes in these comments: Prisma splits the script on them.)

-- CreateEnum
CREATE TYPE "NotificationStatus" AS ENUM ('pending', 'sending', 'sent', 'delivered', 'undelivered', 'failed', 'skipped');

-- AlterTable
ALTER TABLE "NotificationRule" ADD COLUMN     "remindersGeneration" INTEGER NOT NULL DEFAULT 0;

-- AlterTable: existing string statuses, mapped so that none reads as sent unless it was.
ALTER TABLE "Notification" ADD COLUMN     "providerStatus" TEXT;
-- Twilio progress of a message it accepted was written into the status: the row was sent.
UPDATE "Notification" SET "providerStatus" = "status", "status" = 'sent'
  WHERE "status" IN ('queued', 'accepted', 'scheduled', 'sending');
-- A claim left by a worker that died mid-send: what the next attempt would have recorded.
UPDATE "Notification" SET "status" = 'failed', "reason" = 'interrupted-during-dispatch'
  WHERE "status" LIKE 'dispatching:%';
-- The chat refused and the rule channel was not tried yet: the next attempt decides again.
UPDATE "Notification" SET "status" = 'pending' WHERE "status" = 'fell-back';
-- Anything else unknown was never confirmed as sent.
UPDATE "Notification" SET "reason" = 'unknown-ledger-status: ' || "status", "status" = 'failed'
  WHERE "status" NOT IN ('pending', 'sent', 'delivered', 'undelivered', 'failed', 'skipped');
ALTER TABLE "Notification" ALTER COLUMN "status" TYPE "NotificationStatus" USING ("status"::"NotificationStatus");
ALTER TABLE "Notification" ALTER COLUMN "status" SET DEFAULT 'pending';
