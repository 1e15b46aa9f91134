-- Rule owner (whose mailbox access a send needs, re-checked at every send) and per-rule email
-- unsubscribes ("only these reminders").
-- AlterTable
ALTER TABLE "NotificationRule" ADD COLUMN     "ownerUserId" TEXT;

-- CreateTable
CREATE TABLE "RuleUnsubscribe" (
    "contactId" TEXT NOT NULL,
    "ruleId" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "RuleUnsubscribe_pkey" PRIMARY KEY ("contactId","ruleId")
);

-- AddForeignKey
ALTER TABLE "NotificationRule" ADD CONSTRAINT "NotificationRule_ownerUserId_fkey" FOREIGN KEY ("ownerUserId") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RuleUnsubscribe" ADD CONSTRAINT "RuleUnsubscribe_contactId_fkey" FOREIGN KEY ("contactId") REFERENCES "Contact"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RuleUnsubscribe" ADD CONSTRAINT "RuleUnsubscribe_ruleId_fkey" FOREIGN KEY ("ruleId") REFERENCES "NotificationRule"("id") ON DELETE CASCADE ON UPDATE CASCADE;

