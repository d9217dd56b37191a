-- AlterTable
ALTER TABLE "Tenant" ADD COLUMN     "storageQuotaBytes" BIGINT;

-- CreateIndex
CREATE INDEX "File_tenantId_sha256_idx" ON "File"("tenantId", "sha256");

-- CreateIndex
CREATE INDEX "File_tenantId_blobKey_idx" ON "File"("tenantId", "blobKey");

