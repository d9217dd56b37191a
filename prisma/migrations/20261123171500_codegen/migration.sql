-- AlterTable
ALTER TABLE "Tenant" ADD COLUMN     "privacyLevel" TEXT;

-- CreateTable
CREATE TABLE "CodegenCall" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "chatId" UUID NOT NULL,
    "messageId" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "attempt" INTEGER,
    "provider" TEXT NOT NULL,
    "model" TEXT,
    "privacyLevel" TEXT NOT NULL,
    "auditMode" TEXT NOT NULL,
    "requestCount" INTEGER NOT NULL,
    "promptSha256" TEXT NOT NULL,
    "promptBytes" INTEGER NOT NULL,
    "systemText" TEXT,
    "userText" TEXT,
    "outcome" TEXT NOT NULL,
    "inputTokens" INTEGER,
    "outputTokens" INTEGER,
    "cacheReadTokens" INTEGER,
    "cacheCreationTokens" INTEGER,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "CodegenCall_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "CodegenCall_tenantId_createdAt_idx" ON "CodegenCall"("tenantId", "createdAt");

-- CreateIndex
CREATE INDEX "CodegenCall_messageId_idx" ON "CodegenCall"("messageId");

-- AddForeignKey
ALTER TABLE "CodegenCall" ADD CONSTRAINT "CodegenCall_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CodegenCall" ADD CONSTRAINT "CodegenCall_messageId_fkey" FOREIGN KEY ("messageId") REFERENCES "Message"("id") ON DELETE CASCADE ON UPDATE CASCADE;

