-- AlterTable
ALTER TABLE "Chat" ADD COLUMN     "kernelRestartedAt" TIMESTAMP(3),
ADD COLUMN     "variables" JSONB,
ADD COLUMN     "variablesUpdatedAt" TIMESTAMP(3);

