-- Mailboxes: clear-text SMTP only where an admin explicitly allows it (otherwise STARTTLS is
-- required on every port but 465).
-- AlterTable
ALTER TABLE "Mailbox" ADD COLUMN     "allowInsecure" BOOLEAN NOT NULL DEFAULT false;
