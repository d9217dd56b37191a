export { createPrismaClient } from './client';
export type { PrismaClient, PrismaClientOptions } from './client';
export {
  API_KEY_PREFIX,
  DEV_TENANT_NAME,
  authenticateApiKey,
  createTenantWithApiKey,
  ensureDevApiKey,
  generateApiKey,
  hashApiKey,
} from './api-keys';
export type { ApiKeyPrincipal, GeneratedApiKey } from './api-keys';
export { TenantScope } from './tenant-scope';
export type { NewFile } from './repositories/file-repository';
export type { ChatWithNotebook } from './repositories/chat-repository';
export type { MessageWithCells, MessageWithFiles } from './repositories/message-repository';
export { fileMetadataOf, toCell, toChatResource, toFileResource, toMessageResource } from './mappers';
export type {
  Cell as CellRow,
  Chat as ChatRow,
  File as FileRow,
  Message as MessageRow,
} from './generated/prisma/client.js';
