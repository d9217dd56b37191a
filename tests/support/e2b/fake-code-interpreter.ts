import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CellOutput } from '@assay/contracts';
import { z } from 'zod';
import { E2B_DEFAULT_CWD, type FakeContext, type FakeSandbox, KERNEL_WORKSPACE } from './fake-sandbox';
import { HttpError, readJson, sendJson } from './http';

/**
 * E2B's code-interpreter server (port 49999, `template/server/main.py` in e2b-dev/code-interpreter),
 * with local sandboxes (ipykernel under bubblewrap) in place of Jupyter Server's kernels:
 *
 * - `POST /execute` `{ code, context_id?, language? }` streams NDJSON lines as the real server
 *   does: `stdout`/`stderr` (`text`, `timestamp`), `result` (one field per MIME type as
 *   `api/models/result.py` splits them, quotes stripped from a string's text/plain,
 *   `is_main_result`), `error` (`name`, `value`, traceback entries joined without separator),
 *   `number_of_executions`, `keepalive` every 5 s, then `end_of_execution`. When the client
 *   drops the request, the kernel is interrupted (the real server's fix for its issue #213).
 * - `POST /contexts` `{ language?, cwd? }`, `GET /contexts`, `POST /contexts/:id/restart`,
 *   `DELETE /contexts/:id`; errors as plain text, as FastAPI's PlainTextResponse.
 *
 * Where it differs: `number_of_executions` comes after the outputs (a local sandbox reports the
 * count when the cell ends), kernels can only work in /mnt/data (a context asked for elsewhere
 * is refused with 500, and the default context works there too), only Python, and `env_vars`
 * are refused (the real server sets them with extra silent cells, which a local sandbox cannot
 * run). A kernel that dies is reported as the real server reports Jupyter's automatic restart
 * (`ContextRestarting`); a cell cut off by removing its context ends with
 * `UnexpectedEndOfExecution`.
 */
export async function handleCodeInterpreter(
  sandbox: FakeSandbox,
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
): Promise<void> {
  const method = request.method ?? '';
  const path = url.pathname;
  if (path === '/health' && method === 'GET') {
    sendJson(response, 200, 'OK');
  } else if (path === '/execute' && method === 'POST') {
    await execute(sandbox, request, response);
  } else if (path === '/contexts' && method === 'POST') {
    const body = await readJson(request, CreateContextRequest, true);
    const language = (body.language ?? 'python').toLowerCase().trim();
    if (language !== 'python') throw new HttpError(500, `The test server runs Python only, not ${language}`);
    const context = await sandbox.createContext(body.cwd ?? E2B_DEFAULT_CWD);
    sendJson(response, 200, describe(context));
  } else if (path === '/contexts' && method === 'GET') {
    sendJson(response, 200, [...sandbox.contexts.values()].map(describe));
  } else {
    const match = /^\/contexts\/([^/]+)(\/restart)?$/.exec(path);
    const context = match?.[1] === undefined ? undefined : sandbox.contexts.get(match[1]);
    if (match === null) throw new HttpError(404, 'Not Found');
    if (context === undefined) throw new HttpError(404, `Context ${match[1] ?? ''} not found`);
    if (match[2] === '/restart' && method === 'POST') {
      await context.kernel.restart();
      sendJson(response, 200, null);
    } else if (match[2] === undefined && method === 'DELETE') {
      await sandbox.removeContext(context);
      sendJson(response, 200, null);
    } else {
      throw new HttpError(405, 'Method Not Allowed');
    }
  }
}

const CreateContextRequest = z.object({
  language: z.string().nullish(),
  cwd: z.string().nullish(),
});

const ExecutionRequest = z.object({
  code: z.string(),
  context_id: z.string().nullish(),
  language: z.string().nullish(),
  env_vars: z.record(z.string(), z.string()).nullish(),
});

/** How long a cell may run in the engine: E2B's server sets no limit; the client's timeout applies. */
const NO_LIMIT_MS = 24 * 60 * 60_000;

/** The real server's keepalive period while a cell runs silently. */
const KEEPALIVE_INTERVAL_MS = 5_000;

async function execute(sandbox: FakeSandbox, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const body = await readJson(request, ExecutionRequest, true);
  if (body.context_id && body.language) throw new HttpError(400, 'Only one of context_id or language can be provided');
  if (body.env_vars && Object.keys(body.env_vars).length > 0) {
    throw new HttpError(400, 'env_vars are not supported by the test server');
  }
  const context = body.context_id ? sandbox.contexts.get(body.context_id) : await defaultContext(sandbox, body.language);
  if (context === undefined) throw new HttpError(404, `Context ${body.context_id ?? ''} not found`);

  response.writeHead(200, { 'content-type': 'application/json' });
  response.flushHeaders();
  sandbox.track(response);
  let finished = false;
  let open = true;
  response.on('close', () => {
    open = false;
    // The client went away mid-cell (its timeout): interrupt, as the real server does.
    if (!finished) context.kernel.interrupt().catch(() => undefined);
  });
  sandbox.lastExecution = [];
  const send = (line: Record<string, unknown>): void => {
    if (line.type !== 'keepalive') sandbox.lastExecution.push(line);
    if (open) response.write(`${JSON.stringify(line)}\n`);
  };
  const keepalive = setInterval(() => send({ type: 'keepalive' }), KEEPALIVE_INTERVAL_MS);
  let errored = false;
  try {
    const execution = await context.kernel.runCode(body.code, {
      timeoutMs: NO_LIMIT_MS,
      onOutput: (output) => {
        if (output.output_type === 'error' && ENGINE_FAILURES[output.ename] === undefined) {
          // The real server forwards only the first Python error of a cell.
          if (errored) return;
          errored = true;
        }
        send(toLine(output));
      },
    });
    if (execution.executionCount !== undefined) send({ type: 'number_of_executions', execution_count: execution.executionCount });
  } catch (error) {
    // The context was closed before the cell started.
    send({ type: 'error', name: 'UnexpectedEndOfExecution', value: String(error), traceback: '' });
  } finally {
    finished = true;
    clearInterval(keepalive);
    send({ type: 'end_of_execution' });
    response.end();
  }
}

/** The context used when a request names none, started on first use (the real server starts it at boot). */
async function defaultContext(sandbox: FakeSandbox, language: string | null | undefined): Promise<FakeContext> {
  if (language && language.toLowerCase().trim() !== 'python') throw new HttpError(500, `The test server runs Python only, not ${language}`);
  const existing = sandbox.defaultContextId === undefined ? undefined : sandbox.contexts.get(sandbox.defaultContextId);
  if (existing !== undefined) return existing;
  const context = await sandbox.createContext(KERNEL_WORKSPACE);
  sandbox.defaultContextId = context.id;
  return context;
}

function describe(context: FakeContext): { id: string; language: string; cwd: string } {
  return { id: context.id, language: context.language, cwd: context.cwd };
}

/** Names the local sandbox gives failures that are not Python's, and what E2B's server says instead. */
const ENGINE_FAILURES: Record<string, { name: string; value: string }> = {
  KernelDied: { name: 'ContextRestarting', value: 'Context was restarted' },
  KernelRestarted: { name: 'ContextRestarting', value: 'Context was restarted' },
  SandboxClosed: {
    name: 'UnexpectedEndOfExecution',
    value: 'Connection to the execution was closed before the execution was finished',
  },
  Aborted: { name: 'ExecutionAborted', value: 'Execution was aborted' },
};

/** One nbformat output as the line E2B's server streams for the matching Jupyter message. */
function toLine(output: CellOutput): Record<string, unknown> {
  switch (output.output_type) {
    case 'stream':
      return { type: output.name, text: output.text, timestamp: new Date().toISOString() };
    case 'display_data':
      return resultLine(output.data, false);
    case 'execute_result':
      return resultLine(output.data, true);
    case 'error': {
      const failure = ENGINE_FAILURES[output.ename];
      if (failure !== undefined) return { type: 'error', ...failure, traceback: '' };
      return { type: 'error', name: output.ename, value: output.evalue, traceback: output.traceback.join('') };
    }
  }
}

/** Fields of `api/models/result.py`, by MIME type. */
const RESULT_FIELDS: Record<string, string> = {
  'text/html': 'html',
  'text/markdown': 'markdown',
  'image/svg+xml': 'svg',
  'image/png': 'png',
  'image/jpeg': 'jpeg',
  'application/pdf': 'pdf',
  'text/latex': 'latex',
  'application/json': 'json',
  'application/javascript': 'javascript',
  'e2b/data': 'data',
  'e2b/chart': 'chart',
};

/** A result line as `Result(is_main_result, data).model_dump(exclude_none=True)` writes it. */
function resultLine(data: Record<string, unknown>, isMainResult: boolean): Record<string, unknown> {
  const line: Record<string, unknown> = { type: 'result' };
  const extra: Record<string, unknown> = {};
  for (const [mime, value] of Object.entries(data)) {
    if (mime === 'text/plain' && typeof value === 'string') line.text = stripQuotes(value);
    else if (RESULT_FIELDS[mime] !== undefined) line[RESULT_FIELDS[mime]] = value;
    else extra[mime] = value;
  }
  line.extra = extra;
  line.is_main_result = isMainResult;
  return line;
}

/** The server drops the quotes of a string's repr (`'abc'` becomes `abc`). */
function stripQuotes(text: string): string {
  const quoted = text.length >= 2 && ((text.startsWith("'") && text.endsWith("'")) || (text.startsWith('"') && text.endsWith('"')));
  return quoted ? text.slice(1, -1) : text;
}
