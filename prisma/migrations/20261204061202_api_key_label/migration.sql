-- API keys get a label (what the key is for), shown in the key list.
-- AlterTable
ALTER TABLE "ApiKey" ADD COLUMN     "label" TEXT;
