-- AlterTable
ALTER TABLE "Tenant" ADD COLUMN     "limits" JSONB;

