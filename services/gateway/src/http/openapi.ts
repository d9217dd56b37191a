import {
  ApiKeyResource,
  ArtifactResource,
  BatchResource,
  JobResource,
  Cell,
  ChatResource,
  ChatSummaryResource,
  CreateApiKeyBody,
  CreateBatchBody,
  CreateChatBody,
  CreateMessageBody,
  CreatedApiKeyResource,
  CreateTenantBody,
  ErrorBody,
  FileResource,
  InsertCellBody,
  MAX_PAGE_LIMIT,
  MessageResource,
  NotebookOperationResource,
  Page,
  TenantResource,
  UpdateCellBody,
  UpdateTenantBody,
  UsageResource,
  VariablesResource,
} from '@assay/contracts';
import { z } from 'zod';

/** One documented response: JSON described by a zod schema, or another media type. */
export interface ApiResponseSpec {
  description: string;
  schema?: z.ZodType;
  /** @defaultValue application/json */
  contentType?: string;
  /** An example body; a test checks it against `schema`. */
  example?: unknown;
}

/** One documented route. The set of (method, path) must equal the app's routes (tested). */
export interface ApiOperation {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Express form: `/v1/chats/:chatId`. */
  path: string;
  summary: string;
  tag: string;
  auth: 'apiKey' | 'admin' | 'none';
  /** JSON body, or a multipart upload with a `file` part. */
  body?: { schema: z.ZodType; example: unknown } | 'multipart-file';
  /** Takes `limit` and `cursor` (cursor pagination). */
  paged?: boolean;
  /** Accepts an `Idempotency-Key` header. */
  idempotent?: boolean;
  responses: Record<number, ApiResponseSpec>;
}

const ID = '0192f7d4-3c2a-7b6e-9f10-1a2b3c4d5e6f';
const OTHER_ID = '0192f7d4-3c2a-7b6e-9f10-1a2b3c4d5e70';
const AT = '2026-11-23T14:00:00.000Z';

const chatExample = { id: ID, title: 'Sales 2026', createdAt: AT, messages: [] };
const messageExample = {
  id: OTHER_ID,
  chatId: ID,
  seq: 1,
  content: 'Which region grew fastest?',
  fileIds: [ID],
  status: 'queued',
  failure: null,
  provider: null,
  createdAt: AT,
  completedAt: null,
  cells: [],
  artifacts: [],
};
const fileExample = {
  id: ID,
  name: 'sales.csv',
  format: 'csv',
  sizeBytes: 1024,
  sha256: 'a'.repeat(64),
  status: 'ready',
  failure: null,
  metadata: { format: 'csv', encoding: 'utf-8', delimiter: ',', sheets: [{ name: 'sales', headers: ['region', 'amount'], rowCount: 120 }] },
  createdAt: AT,
  ingestedAt: AT,
};
const tenantExample = { id: ID, name: 'Acme', storageQuotaBytes: null, limits: { uploadsPerHour: 100 }, createdAt: AT };
const keyExample = { id: OTHER_ID, tenantId: ID, name: 'ci', prefix: 'assay_AbCdEf', createdAt: AT, lastUsedAt: null, revokedAt: null };

const Interrupted = z.object({ chatId: z.uuid(), interrupted: z.literal(true) });
const Health = z.object({ status: z.string() }).loose();
const List = <S extends z.ZodType>(item: S) => z.object({ data: z.array(item) });

/** Every route of the gateway, documented. */
export const API_OPERATIONS: readonly ApiOperation[] = [
  // Files
  { method: 'POST', path: '/v1/files', tag: 'Files', auth: 'apiKey', summary: 'Upload a table (.csv, .tsv, .xlsx, .xls) as the multipart part `file`; ingest runs in the background.', idempotent: true, body: 'multipart-file', responses: { 202: { description: 'Stored; status pending until ingested.', schema: FileResource, example: { ...fileExample, status: 'pending', metadata: null, ingestedAt: null } } } },
  { method: 'GET', path: '/v1/files', tag: 'Files', auth: 'apiKey', summary: 'List files, newest first.', paged: true, responses: { 200: { description: 'A page of files.', schema: Page(FileResource), example: { data: [fileExample], nextCursor: null } } } },
  { method: 'GET', path: '/v1/files/:fileId', tag: 'Files', auth: 'apiKey', summary: 'A file with its ingest status and metadata (headers, row counts).', responses: { 200: { description: 'The file.', schema: FileResource, example: fileExample } } },
  { method: 'DELETE', path: '/v1/files/:fileId', tag: 'Files', auth: 'apiKey', summary: 'Delete a file no message uses (409 otherwise); its bytes go once no identical upload shares them.', responses: { 204: { description: 'Deleted.' } } },

  // Chats and messages
  { method: 'POST', path: '/v1/chats', tag: 'Chats', auth: 'apiKey', summary: 'Create a chat.', idempotent: true, body: { schema: CreateChatBody, example: { title: 'Sales 2026' } }, responses: { 201: { description: 'The chat.', schema: ChatResource, example: chatExample } } },
  { method: 'GET', path: '/v1/chats', tag: 'Chats', auth: 'apiKey', summary: 'List chats, newest first (without their messages).', paged: true, responses: { 200: { description: 'A page of chats.', schema: Page(ChatSummaryResource), example: { data: [{ id: ID, title: 'Sales 2026', createdAt: AT }], nextCursor: 'eyJhZnRlciI6IjAxOTIifQ' } } } },
  { method: 'GET', path: '/v1/chats/:chatId', tag: 'Chats', auth: 'apiKey', summary: 'A chat as a notebook: its messages with their cells, outputs and artifacts.', responses: { 200: { description: 'The chat.', schema: ChatResource, example: chatExample } } },
  { method: 'POST', path: '/v1/chats/:chatId/messages', tag: 'Chats', auth: 'apiKey', summary: 'Ask a question about files; the analysis runs in the background (follow it on the WebSocket or GET /v1/messages/:id).', idempotent: true, body: { schema: CreateMessageBody, example: { content: 'Which region grew fastest?', fileIds: [ID] } }, responses: { 202: { description: 'Accepted.', schema: MessageResource, example: messageExample } } },
  { method: 'GET', path: '/v1/chats/:chatId/messages', tag: 'Chats', auth: 'apiKey', summary: "A chat's messages in order.", paged: true, responses: { 200: { description: 'A page of messages.', schema: Page(MessageResource), example: { data: [messageExample], nextCursor: null } } } },
  { method: 'GET', path: '/v1/chats/:chatId/artifacts', tag: 'Artifacts', auth: 'apiKey', summary: 'Files the chat\'s code wrote, oldest first.', paged: true, responses: { 200: { description: 'A page of artifacts.', schema: Page(ArtifactResource) } } },
  { method: 'GET', path: '/v1/messages/:messageId', tag: 'Chats', auth: 'apiKey', summary: 'One message with its status, cells and artifacts.', responses: { 200: { description: 'The message.', schema: MessageResource, example: messageExample } } },

  // Notebook
  { method: 'POST', path: '/v1/chats/:chatId/cells', tag: 'Notebook', auth: 'apiKey', summary: 'Insert a cell.', body: { schema: InsertCellBody, example: { kind: 'code', source: 'df.describe()', afterCellId: ID } }, responses: { 201: { description: 'The cell.', schema: Cell } } },
  { method: 'PATCH', path: '/v1/chats/:chatId/cells/:cellId', tag: 'Notebook', auth: 'apiKey', summary: "Change a cell's source.", body: { schema: UpdateCellBody, example: { source: 'df.head(20)' } }, responses: { 200: { description: 'The cell.', schema: Cell } } },
  { method: 'DELETE', path: '/v1/chats/:chatId/cells/:cellId', tag: 'Notebook', auth: 'apiKey', summary: 'Delete a cell.', responses: { 204: { description: 'Deleted.' } } },
  { method: 'POST', path: '/v1/chats/:chatId/cells/:cellId/run', tag: 'Notebook', auth: 'apiKey', summary: 'Run a cell (results arrive as cell events).', idempotent: true, responses: { 202: { description: 'Queued.', schema: NotebookOperationResource, example: { operationId: OTHER_ID, chatId: ID, kind: 'run', cellIds: [ID] } } } },
  { method: 'POST', path: '/v1/chats/:chatId/run-all', tag: 'Notebook', auth: 'apiKey', summary: 'Run every code cell in order.', idempotent: true, responses: { 202: { description: 'Queued.', schema: NotebookOperationResource } } },
  { method: 'POST', path: '/v1/chats/:chatId/clear-outputs', tag: 'Notebook', auth: 'apiKey', summary: "Clear every cell's outputs.", responses: { 204: { description: 'Cleared.' } } },
  { method: 'POST', path: '/v1/chats/:chatId/interrupt', tag: 'Notebook', auth: 'apiKey', summary: 'Interrupt the running cell.', responses: { 202: { description: 'Signalled.', schema: Interrupted, example: { chatId: ID, interrupted: true } } } },
  { method: 'POST', path: '/v1/chats/:chatId/restart', tag: 'Notebook', auth: 'apiKey', summary: "Restart the chat's kernel.", responses: { 202: { description: 'Queued.', schema: NotebookOperationResource, example: { operationId: OTHER_ID, chatId: ID, kind: 'restart', cellIds: [] } } } },
  { method: 'GET', path: '/v1/chats/:chatId/variables', tag: 'Notebook', auth: 'apiKey', summary: "The kernel's variables after its latest successful cell.", responses: { 200: { description: 'Variables.', schema: VariablesResource } } },
  { method: 'GET', path: '/v1/chats/:chatId/notebook.ipynb', tag: 'Notebook', auth: 'apiKey', summary: 'The chat as a Jupyter notebook (nbformat 4.5).', responses: { 200: { description: 'The notebook.', contentType: 'application/x-ipynb+json' } } },

  // Artifacts
  { method: 'GET', path: '/v1/artifacts/:artifactId', tag: 'Artifacts', auth: 'apiKey', summary: 'Download an artifact (streamed, with its MIME type).', responses: { 200: { description: 'The bytes.', contentType: 'application/octet-stream' } } },

  // Batches and usage
  { method: 'POST', path: '/v1/batches', tag: 'Batches', auth: 'apiKey', summary: 'Submit analyses together: each item becomes a chat with one message.', idempotent: true, body: { schema: CreateBatchBody, example: { items: [{ question: 'Which region grew fastest?', fileIds: [ID], title: 'Growth' }, { question: 'Any outliers?', fileIds: [ID] }] } }, responses: { 202: { description: 'Accepted.', schema: BatchResource, example: { id: ID, status: 'running', counts: { queued: 1, generating: 1, executing: 0, completed: 0, failed: 0 }, items: [{ chatId: ID, messageId: OTHER_ID, status: 'queued', failure: null, completedAt: null }], createdAt: AT } } } },
  { method: 'GET', path: '/v1/batches/:batchId', tag: 'Batches', auth: 'apiKey', summary: 'A batch with the status of each item.', responses: { 200: { description: 'The batch.', schema: BatchResource } } },
  { method: 'GET', path: '/v1/jobs/:jobId', tag: 'Jobs', auth: 'apiKey', summary: "Status of work a 202 answer started, by its id: a message's id, a batch's id or a notebook operation's operationId.", responses: { 200: { description: 'The job.', schema: JobResource, example: { id: OTHER_ID, kind: 'run', status: 'failed', chatId: ID, cellIds: [ID], failure: { code: 'CELL_ERROR', message: `Cell 3 (${ID}) raised an error; its outputs show which.` }, createdAt: AT } } } },
  { method: 'GET', path: '/v1/usage', tag: 'Usage', auth: 'apiKey', summary: 'What the tenant stores and has run, and its rate quotas (uploads and executions this hour, tokens today).', responses: { 200: { description: 'Usage.', schema: UsageResource, example: { storageBytes: 2048, files: 2, chats: 1, messages: 3, executedCells: 7, artifacts: 1, quotas: { uploads: { limit: 200, used: 2, remaining: 198, resetSeconds: 3100 }, executions: { limit: 600, used: 3, remaining: 597, resetSeconds: 3100 }, tokens: { limit: 2000000, used: 18000, remaining: 1982000, resetSeconds: 80000 } } } } } },
  { method: 'GET', path: '/v1/openapi.json', tag: 'Meta', auth: 'none', summary: 'This document.', responses: { 200: { description: 'OpenAPI 3.1.' } } },

  // Admin
  { method: 'POST', path: '/admin/v1/tenants', tag: 'Admin', auth: 'admin', summary: 'Create a tenant.', body: { schema: CreateTenantBody, example: { name: 'Acme', limits: { uploadsPerHour: 100 } } }, responses: { 201: { description: 'The tenant.', schema: TenantResource, example: tenantExample } } },
  { method: 'GET', path: '/admin/v1/tenants', tag: 'Admin', auth: 'admin', summary: 'List tenants.', responses: { 200: { description: 'Tenants.', schema: List(TenantResource), example: { data: [tenantExample] } } } },
  { method: 'GET', path: '/admin/v1/tenants/:tenantId', tag: 'Admin', auth: 'admin', summary: 'A tenant.', responses: { 200: { description: 'The tenant.', schema: TenantResource } } },
  { method: 'PATCH', path: '/admin/v1/tenants/:tenantId', tag: 'Admin', auth: 'admin', summary: "Change a tenant's name, storage quota or limits (null: back to the default).", body: { schema: UpdateTenantBody, example: { storageQuotaBytes: 1_000_000_000, limits: null } }, responses: { 200: { description: 'The tenant.', schema: TenantResource } } },
  { method: 'POST', path: '/admin/v1/tenants/:tenantId/keys', tag: 'Admin', auth: 'admin', summary: 'Create an API key; the key is in this answer only.', body: { schema: CreateApiKeyBody, example: { name: 'ci' } }, responses: { 201: { description: 'The key, shown once.', schema: CreatedApiKeyResource, example: { ...keyExample, key: 'assay_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefg' } } } },
  { method: 'GET', path: '/admin/v1/tenants/:tenantId/keys', tag: 'Admin', auth: 'admin', summary: "A tenant's keys (never the keys themselves).", responses: { 200: { description: 'Keys.', schema: List(ApiKeyResource), example: { data: [keyExample] } } } },
  { method: 'POST', path: '/admin/v1/keys/:keyId/revoke', tag: 'Admin', auth: 'admin', summary: 'Revoke a key (every gateway replica refuses it at once).', responses: { 200: { description: 'The revoked key.', schema: ApiKeyResource, example: { ...keyExample, revokedAt: AT } } } },

  // Operations
  { method: 'GET', path: '/healthz', tag: 'Operations', auth: 'none', summary: 'Liveness.', responses: { 200: { description: 'Alive.', schema: Health, example: { status: 'ok' } } } },
  { method: 'GET', path: '/readyz', tag: 'Operations', auth: 'none', summary: 'Readiness: Redis, PostgreSQL and storage reachable.', responses: { 200: { description: 'Ready.', schema: Health }, 503: { description: 'Not ready.', schema: Health } } },
  { method: 'GET', path: '/metrics', tag: 'Operations', auth: 'none', summary: 'Prometheus metrics.', responses: { 200: { description: 'Metrics.', contentType: 'text/plain' } } },
];

/** JSON Schema (2020-12, as OpenAPI 3.1 uses) of a zod schema as sent (`input`) or as returned (`output`). */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

/** The OpenAPI 3.1 document of {@link API_OPERATIONS}, generated from the same zod schemas the routes validate with. */
export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const operation of API_OPERATIONS) {
    const path = operation.path.replace(/:(\w+)/g, '{$1}');
    const parameters: unknown[] = [...operation.path.matchAll(/:(\w+)/g)].map((match) => ({
      name: match[1],
      in: 'path',
      required: true,
      schema: { type: 'string', format: 'uuid' },
    }));
    if (operation.paged) {
      parameters.push(
        { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: MAX_PAGE_LIMIT, default: 20 } },
        { name: 'cursor', in: 'query', required: false, description: '`nextCursor` of the previous page (opaque).', schema: { type: 'string' } },
      );
    }
    if (operation.idempotent) {
      parameters.push({
        name: 'Idempotency-Key',
        in: 'header',
        required: false,
        description: 'Retries with the same key and body get the first answer back without the work being done again (for 24 h by default).',
        schema: { type: 'string', minLength: 1, maxLength: 255 },
      });
    }
    const responses: Record<string, unknown> = {};
    for (const [status, spec] of Object.entries(operation.responses)) {
      const contentType = spec.contentType ?? 'application/json';
      const hasContent = spec.schema !== undefined || spec.contentType !== undefined || status !== '204';
      responses[status] = {
        description: spec.description,
        ...(hasContent && status !== '204'
          ? {
              content: {
                [contentType]: {
                  ...(spec.schema ? { schema: jsonSchema(spec.schema, 'output') } : {}),
                  ...(spec.example === undefined ? {} : { example: spec.example }),
                },
              },
            }
          : {}),
      };
    }
    responses.default = { description: 'An error, in the one error shape.', content: { 'application/json': { schema: jsonSchema(ErrorBody, 'output') } } };
    const requestBody =
      operation.body === undefined
        ? undefined
        : operation.body === 'multipart-file'
          ? { required: true, content: { 'multipart/form-data': { schema: { type: 'object', properties: { file: { type: 'string', contentMediaType: 'application/octet-stream' } }, required: ['file'] } } } }
          : { required: true, content: { 'application/json': { schema: jsonSchema(operation.body.schema, 'input'), example: operation.body.example } } };
    paths[path] = {
      ...paths[path],
      [operation.method.toLowerCase()]: {
        operationId: operationId(operation),
        summary: operation.summary,
        tags: [operation.tag],
        security: operation.auth === 'none' ? [] : [{ [operation.auth === 'admin' ? 'adminToken' : 'apiKey']: [] }],
        ...(parameters.length > 0 ? { parameters } : {}),
        ...(requestBody ? { requestBody } : {}),
        responses,
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Assay API', version: '1', description: 'AI data analysis over uploaded tables. Errors share one shape: `{ "error": { "code", "message", "details"? } }`.' },
    servers: [{ url: '/' }],
    components: {
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'A tenant API key (`assay_...`).' },
        adminToken: { type: 'http', scheme: 'bearer', description: 'The operator token (ASSAY_ADMIN_TOKEN).' },
      },
    },
    paths,
  };
}

function operationId(operation: ApiOperation): string {
  const words = `${operation.method.toLowerCase()} ${operation.path}`
    .replace(/:\w+/g, 'by-id')
    .split(/[^A-Za-z0-9]+/)
    .filter((word) => word !== '' && word !== 'v1');
  return words.map((word, index) => (index === 0 ? word : word.charAt(0).toUpperCase() + word.slice(1))).join('');
}
