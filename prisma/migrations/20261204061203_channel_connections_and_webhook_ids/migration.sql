-- Channel connections per company (own Twilio and Instagram accounts), provider message ids already
-- handled by the webhooks, and when each consent last changed (ordering of opt-out/opt-in).
-- CreateEnum
CREATE TYPE "ChannelProvider" AS ENUM ('twilio', 'instagram');

-- AlterTable
ALTER TABLE "Contact" ADD COLUMN     "emailConsentChangedAt" TIMESTAMP(3),
ADD COLUMN     "smsConsentChangedAt" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "ChannelConnection" (
    "id" TEXT NOT NULL,
    "companyId" TEXT NOT NULL,
    "provider" "ChannelProvider" NOT NULL,
    "accountId" TEXT NOT NULL,
    "secretEncrypted" TEXT NOT NULL,
    "appSecretEncrypted" TEXT,
    "verifyToken" TEXT,
    "smsFrom" TEXT,
    "whatsappFrom" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ChannelConnection_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ProcessedWebhookMessage" (
    "provider" "ChannelProvider" NOT NULL,
    "messageId" TEXT NOT NULL,
    "processedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ProcessedWebhookMessage_pkey" PRIMARY KEY ("provider","messageId")
);

-- CreateIndex
CREATE UNIQUE INDEX "ChannelConnection_verifyToken_key" ON "ChannelConnection"("verifyToken");

-- CreateIndex
CREATE UNIQUE INDEX "ChannelConnection_smsFrom_key" ON "ChannelConnection"("smsFrom");

-- CreateIndex
CREATE UNIQUE INDEX "ChannelConnection_whatsappFrom_key" ON "ChannelConnection"("whatsappFrom");

-- CreateIndex
CREATE UNIQUE INDEX "ChannelConnection_companyId_provider_key" ON "ChannelConnection"("companyId", "provider");

-- CreateIndex
CREATE UNIQUE INDEX "ChannelConnection_provider_accountId_key" ON "ChannelConnection"("provider", "accountId");

-- AddForeignKey
ALTER TABLE "ChannelConnection" ADD CONSTRAINT "ChannelConnection_companyId_fkey" FOREIGN KEY ("companyId") REFERENCES "Company"("id") ON DELETE CASCADE ON UPDATE CASCADE;

