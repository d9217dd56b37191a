import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';

/** A failure to answer with a status and a body shaped as the E2B service in question shapes them. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(typeof body === 'string' ? body : JSON.stringify(body));
    this.name = 'HttpError';
  }
}

/** The control plane's and envd's error body: `{ code, message }` with the HTTP status as code. */
export function apiError(status: number, message: string): HttpError {
  return new HttpError(status, { code: status, message });
}

/** The whole request body. */
export async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * The request body parsed as JSON and validated, or an `HttpError` 400 saying why not
 * (`asText` for services, like the code interpreter, that answer errors as plain text).
 */
export async function readJson<S extends z.ZodType>(request: IncomingMessage, schema: S, asText = false): Promise<z.infer<S>> {
  const text = (await readBody(request)).toString('utf8');
  let value: unknown;
  try {
    value = text === '' ? {} : JSON.parse(text);
  } catch {
    throw asText ? new HttpError(400, 'Body is not JSON') : apiError(400, 'Body is not JSON');
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const message = `Invalid body: ${parsed.error.message}`;
    throw asText ? new HttpError(400, message) : apiError(400, message);
  }
  return parsed.data;
}

/** Answers with JSON (or nothing for 204). */
export function sendJson(response: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    response.writeHead(status).end();
    return;
  }
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
}

/** Answers an `HttpError` (or any other failure as a 500), unless the response has started. */
export function sendError(response: ServerResponse, error: unknown): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  if (error instanceof HttpError) {
    if (typeof error.body === 'string') {
      response.writeHead(error.status, { 'content-type': 'text/plain; charset=utf-8' }).end(error.body);
    } else {
      sendJson(response, error.status, error.body);
    }
    return;
  }
  sendJson(response, 500, { code: 500, message: error instanceof Error ? error.message : String(error) });
}
