import { Readable } from 'node:stream';
import {
  ArtifactResource,
  BatchResource,
  JobResource,
  Cell,
  ChatResource,
  ChatSummaryResource,
  ErrorBody,
  FileResource,
  MessageResource,
  NotebookOperationResource,
  Page,
  UsageResource,
  VariablesResource,
  type CreateBatchBody,
  type CreateMessageBody,
  type InsertCellBody,
} from '@assay/contracts';
import { z } from 'zod';
import { AssayApiError } from './api-error';
import { ChatEventStream, type ChatEventStreamOptions } from './chat-event-stream';

/** Options of {@link AssayClient}. */
export interface AssayClientOptions {
  /** Gateway base URL, e.g. `https://assay.example.com` (without `/v1`). */
  baseUrl: string;
  /** The tenant's API key, sent as `Authorization: Bearer`. */
  apiKey: string;
  /** Replaces the global `fetch` (tests, proxies). @defaultValue globalThis.fetch */
  fetch?: typeof fetch;
}

/** Options of calls that create work: a retried call with the same key does not create it twice. */
export interface CreateOptions {
  /** Sent as the `Idempotency-Key` header (1 to 255 visible ASCII characters; a UUID is a good choice). */
  idempotencyKey?: string;
}

/** `?limit=&cursor=` of list calls. */
export interface PageOptions {
  /** Items per page, 1 to 100. @defaultValue 20 */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

/** One page of a list; `nextCursor` is null on the last page. */
export interface ResourcePage<T> {
  data: T[];
  nextCursor: string | null;
}

const InterruptResource = z.object({ chatId: z.string(), interrupted: z.boolean() });
const NoContent = z.undefined();

/**
 * Typed client of the Assay API. Every response is validated with the contract's zod schema;
 * every error answer throws {@link AssayApiError} with the server's code.
 */
export class AssayClient {
  private readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: AssayClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.fetchImpl = options.fetch ?? globalThis.fetch;
  }

  // Files

  /** Uploads a table (CSV, XLSX, …); it is ingested in the background (`status` tells when it is ready). */
  uploadFile(name: string, content: Buffer | Uint8Array | string, options: CreateOptions & { contentType?: string } = {}): Promise<FileResource> {
    const form = new FormData();
    const bytes = typeof content === 'string' ? content : new Uint8Array(content);
    form.append('file', new Blob([bytes], { type: options.contentType ?? 'application/octet-stream' }), name);
    return this.call('POST', '/v1/files', FileResource, { body: form, idempotencyKey: options.idempotencyKey });
  }

  getFile(fileId: string): Promise<FileResource> {
    return this.call('GET', `/v1/files/${enc(fileId)}`, FileResource);
  }

  listFiles(page: PageOptions = {}): Promise<ResourcePage<FileResource>> {
    return this.call('GET', `/v1/files${query(page)}`, Page(FileResource));
  }

  /** Deletes a file no message uses. */
  async deleteFile(fileId: string): Promise<void> {
    await this.call('DELETE', `/v1/files/${enc(fileId)}`, NoContent);
  }

  // Chats and messages

  createChat(body: { title?: string } = {}, options: CreateOptions = {}): Promise<ChatResource> {
    return this.call('POST', '/v1/chats', ChatResource, { json: body, idempotencyKey: options.idempotencyKey });
  }

  /** A chat with its messages and their cells (the notebook). */
  getChat(chatId: string): Promise<ChatResource> {
    return this.call('GET', `/v1/chats/${enc(chatId)}`, ChatResource);
  }

  listChats(page: PageOptions = {}): Promise<ResourcePage<ChatSummaryResource>> {
    return this.call('GET', `/v1/chats${query(page)}`, Page(ChatSummaryResource));
  }

  /** Asks a question (with files); the analysis runs in the background, follow it with {@link subscribe}. */
  postMessage(chatId: string, body: z.input<typeof CreateMessageBody>, options: CreateOptions = {}): Promise<MessageResource> {
    return this.call('POST', `/v1/chats/${enc(chatId)}/messages`, MessageResource, { json: body, idempotencyKey: options.idempotencyKey });
  }

  getMessage(messageId: string): Promise<MessageResource> {
    return this.call('GET', `/v1/messages/${enc(messageId)}`, MessageResource);
  }

  listMessages(chatId: string, page: PageOptions = {}): Promise<ResourcePage<MessageResource>> {
    return this.call('GET', `/v1/chats/${enc(chatId)}/messages${query(page)}`, Page(MessageResource));
  }

  // Notebook operations

  insertCell(chatId: string, body: InsertCellBody): Promise<Cell> {
    return this.call('POST', `/v1/chats/${enc(chatId)}/cells`, Cell, { json: body });
  }

  updateCell(chatId: string, cellId: string, source: string): Promise<Cell> {
    return this.call('PATCH', `/v1/chats/${enc(chatId)}/cells/${enc(cellId)}`, Cell, { json: { source } });
  }

  async deleteCell(chatId: string, cellId: string): Promise<void> {
    await this.call('DELETE', `/v1/chats/${enc(chatId)}/cells/${enc(cellId)}`, NoContent);
  }

  runCell(chatId: string, cellId: string, options: CreateOptions = {}): Promise<NotebookOperationResource> {
    return this.call('POST', `/v1/chats/${enc(chatId)}/cells/${enc(cellId)}/run`, NotebookOperationResource, options);
  }

  runAll(chatId: string, options: CreateOptions = {}): Promise<NotebookOperationResource> {
    return this.call('POST', `/v1/chats/${enc(chatId)}/run-all`, NotebookOperationResource, options);
  }

  async clearOutputs(chatId: string): Promise<void> {
    await this.call('POST', `/v1/chats/${enc(chatId)}/clear-outputs`, NoContent);
  }

  async interrupt(chatId: string): Promise<void> {
    await this.call('POST', `/v1/chats/${enc(chatId)}/interrupt`, InterruptResource);
  }

  restartKernel(chatId: string): Promise<NotebookOperationResource> {
    return this.call('POST', `/v1/chats/${enc(chatId)}/restart`, NotebookOperationResource);
  }

  getVariables(chatId: string): Promise<VariablesResource> {
    return this.call('GET', `/v1/chats/${enc(chatId)}/variables`, VariablesResource);
  }

  /** The chat as an nbformat 4.5 notebook (parsed JSON). */
  async exportNotebook(chatId: string): Promise<unknown> {
    const response = await this.send('GET', `/v1/chats/${enc(chatId)}/notebook.ipynb`);
    return JSON.parse(await response.text()) as unknown;
  }

  // Artifacts

  listArtifacts(chatId: string, page: PageOptions = {}): Promise<ResourcePage<ArtifactResource>> {
    return this.call('GET', `/v1/chats/${enc(chatId)}/artifacts${query(page)}`, Page(ArtifactResource));
  }

  /** An artifact's bytes as a stream (not buffered), with its type and size. */
  async downloadArtifact(artifactId: string): Promise<{ stream: Readable; mimeType: string; sizeBytes: number | undefined }> {
    const response = await this.send('GET', `/v1/artifacts/${enc(artifactId)}`);
    if (!response.body) throw new AssayApiError('INTERNAL', 'The artifact download had no body.', response.status);
    const length = response.headers.get('content-length');
    return {
      stream: Readable.fromWeb(response.body),
      mimeType: response.headers.get('content-type') ?? 'application/octet-stream',
      sizeBytes: length === null ? undefined : Number(length),
    };
  }

  // Batches and usage

  /** Many questions at once, each in a chat of its own. */
  createBatch(body: z.input<typeof CreateBatchBody>, options: CreateOptions = {}): Promise<BatchResource> {
    return this.call('POST', '/v1/batches', BatchResource, { json: body, idempotencyKey: options.idempotencyKey });
  }

  getBatch(batchId: string): Promise<BatchResource> {
    return this.call('GET', `/v1/batches/${enc(batchId)}`, BatchResource);
  }

  /** Status of whatever a 202 answer started: a message id, a batch id or an operationId. */
  getJob(jobId: string): Promise<JobResource> {
    return this.call('GET', `/v1/jobs/${enc(jobId)}`, JobResource);
  }

  getUsage(): Promise<UsageResource> {
    return this.call('GET', '/v1/usage', UsageResource);
  }

  // Events

  /**
   * Follows a chat's events over the WebSocket, reconnecting with backoff and resuming from the
   * last event id: each event arrives once, in id order. Iterate it or pass `onEvent`; `close()` it.
   */
  subscribe(chatId: string, options: Omit<ChatEventStreamOptions, 'url' | 'apiKey' | 'chatId'> = {}): ChatEventStream {
    return new ChatEventStream({ ...options, url: `${this.baseUrl.replace(/^http/, 'ws')}/v1/ws`, apiKey: this.options.apiKey, chatId });
  }

  /** Sends a request and validates a 2xx body with `schema`; throws {@link AssayApiError} otherwise. */
  private async call<S extends z.ZodType>(
    method: string,
    path: string,
    schema: S,
    options: { json?: unknown; body?: FormData; idempotencyKey?: string | undefined } = {},
  ): Promise<z.output<S>> {
    const response = await this.send(method, path, options);
    const text = await response.text();
    return schema.parse(text === '' ? undefined : (JSON.parse(text) as unknown));
  }

  /** Sends a request; a non-2xx answer throws {@link AssayApiError}. */
  private async send(method: string, path: string, options: { json?: unknown; body?: FormData; idempotencyKey?: string | undefined } = {}): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.options.apiKey}` };
    if (options.idempotencyKey !== undefined) headers['idempotency-key'] = options.idempotencyKey;
    let body: FormData | string | undefined = options.body;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    }
    const response = await this.fetchImpl(`${this.baseUrl}${path}`, { method, headers, body });
    if (response.ok) return response;
    throw await errorOf(response);
  }
}

async function errorOf(response: Response): Promise<AssayApiError> {
  const text = await response.text();
  let parsed: ReturnType<typeof ErrorBody.safeParse> | undefined;
  try {
    parsed = ErrorBody.safeParse(JSON.parse(text));
  } catch {
    parsed = undefined;
  }
  const retryAfter = response.headers.get('retry-after');
  const retryAfterSeconds = retryAfter === null || Number.isNaN(Number(retryAfter)) ? undefined : Number(retryAfter);
  if (parsed?.success) {
    const { code, message, details } = parsed.data.error;
    return new AssayApiError(code, message, response.status, details, retryAfterSeconds);
  }
  // Not our error shape (a proxy's page, say): keep the status and the start of the body.
  return new AssayApiError('INTERNAL', `HTTP ${response.status}: ${text.slice(0, 200)}`, response.status, undefined, retryAfterSeconds);
}

const enc = encodeURIComponent;

function query(page: PageOptions): string {
  const params = new URLSearchParams();
  if (page.limit !== undefined) params.set('limit', String(page.limit));
  if (page.cursor !== undefined) params.set('cursor', page.cursor);
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}
