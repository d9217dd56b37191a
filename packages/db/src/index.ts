export { createPrismaClient } from './client';
export type { PrismaClient, PrismaClientOptions } from './client';
export {
  API_KEY_PREFIX,
  apiKeyRevocationChannel,
  DEV_TENANT_NAME,
  authenticateApiKey,
  createTenantWithApiKey,
  ensureDevApiKey,
  generateApiKey,
  hashApiKey,
} from './api-keys';
export type { ApiKeyPrincipal, GeneratedApiKey } from './api-keys';
export { TenantScope } from './tenant-scope';
export { TenantAdmin } from './tenant-admin';
export type { RevokedApiKey, TenantSettings } from './tenant-admin';
export type { NewArtifact } from './repositories/artifact-repository';
export type { StoredUsage } from './repositories/usage-repository';
export type { IdempotencyClaim, IdempotencyClaimOptions } from './repositories/idempotency-repository';
export type { RunnableCell } from './repositories/cell-repository';
export type { NewFile, StoreFileOptions, StoredFile } from './repositories/file-repository';
export type { ChatWithNotebook } from './repositories/chat-repository';
export type { ChatFile, MessageWithCells, MessageWithFiles, NewMessageOptions } from './repositories/message-repository';
export { assignWorkspaceNames } from './workspace-names';
export type { AttachedFile } from './workspace-names';
export { fileMetadataOf, toArtifactResource, toCell, toChatResource, toFileResource, toMessageResource } from './mappers';
export type {
  Artifact as ArtifactRow,
  Batch,
  Cell as CellRow,
  Chat as ChatRow,
  File as FileRow,
  Message as MessageRow,
} from './generated/prisma/client.js';
