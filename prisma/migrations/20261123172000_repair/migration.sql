-- AlterTable
ALTER TABLE "Cell" ADD COLUMN     "supersededById" UUID;

