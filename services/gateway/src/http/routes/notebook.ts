import { randomUUID } from 'node:crypto';
import { Cell, InsertCellBody, NotebookOperationResource, UpdateCellBody, VariablesResource } from '@assay/contracts';
import { type TenantScope, toCell } from '@assay/db';
import { AssayError, ErrorCode } from '@assay/errors';
import type { ChatEventLog, KernelControl, SessionRegistry } from '@assay/events';
import type { JobQueues } from '@assay/queue';
import { Router } from 'express';
import { tenantOf } from '../auth';
import type { OperationJournal } from '../operation-journal';
import type { SessionLimit } from '../session-limit';
import { parseBody, sendValid } from '../validate';

export interface NotebookRoutesOptions {
  queues: JobQueues;
  events: ChatEventLog;
  control: KernelControl;
  /** Routes runs and restarts to the executor replica holding the chat's kernel. */
  sessions: SessionRegistry;
  sessionLimit: SessionLimit;
  /** Where queued operations are remembered for `GET /v1/jobs/:id`. */
  operations: OperationJournal;
}

/**
 * `/v1/chats/:chatId/...`: the chat as a notebook a person works on. Edits happen at once (and
 * are announced as events so every open client follows); runs and restarts are queued for the
 * executor that holds the chat's kernel and reported as cell events; interrupts are signalled
 * directly to it.
 */
export function notebookRoutes(options: NotebookRoutesOptions): Router {
  const router = Router({ mergeParams: true });

  /** Queues a run of these cells, which are already marked queued; unmarks them if queueing fails. */
  async function queueRun(scope: TenantScope, chatId: string, cellIds: string[]): Promise<NotebookOperationResource> {
    const operationId = randomUUID();
    try {
      const replica = await options.sessions.ownerOf(scope.tenantId, chatId);
      await options.operations.record(scope.tenantId, { id: operationId, chatId, kind: 'run', cellIds, createdAt: new Date().toISOString() });
      await options.queues.add('notebook', { op: 'run', tenantId: scope.tenantId, chatId, operationId, cellIds }, { replica });
    } catch (error) {
      await scope.cells.cancelIfQueued(cellIds).catch(() => undefined);
      throw error;
    }
    return NotebookOperationResource.parse({ operationId, chatId, kind: 'run', cellIds });
  }

  router.post('/cells/:cellId/run', async (req, res) => {
    const tenant = tenantOf(res);
    const { chatId, cellId } = params(req.params);
    await options.sessionLimit.assertRoomFor(tenant.tenantId, chatId);
    await tenant.cells.queueForRun(chatId, cellId);
    sendValid(res, NotebookOperationResource, await queueRun(tenant, chatId, [cellId]), 202);
  });

  router.post('/run-all', async (req, res) => {
    const tenant = tenantOf(res);
    const { chatId } = params(req.params);
    await tenant.chats.get(chatId);
    await options.sessionLimit.assertRoomFor(tenant.tenantId, chatId);
    // Cells that automatic repair replaced are history: running the notebook runs their replacements.
    const cells = (await tenant.cells.listCode(chatId)).filter((cell) => cell.supersededById === null);
    const busy = cells.find((cell) => cell.status === 'queued' || cell.status === 'running');
    if (busy) {
      throw new AssayError(ErrorCode.CONFLICT, `Cell ${busy.id} is still ${busy.status}; wait for it or interrupt it, then run all again.`, {
        status: 409,
        details: { cellId: busy.id, status: busy.status },
      });
    }
    if (cells.length === 0) {
      throw new AssayError(ErrorCode.CONFLICT, 'This chat has no code cells to run yet.', { status: 409 });
    }
    const cellIds = cells.map((cell) => cell.id);
    await tenant.cells.markQueued(cellIds);
    sendValid(res, NotebookOperationResource, await queueRun(tenant, chatId, cellIds), 202);
  });

  router.post('/cells', async (req, res) => {
    const tenant = tenantOf(res);
    const { chatId } = params(req.params);
    const body = parseBody(InsertCellBody, req.body);
    await tenant.chats.get(chatId);
    const cell = toCell(await tenant.cells.insert(chatId, body));
    await options.events.publish({ type: 'cell.created', chatId, messageId: cell.messageId, data: { cell } });
    sendValid(res, Cell, cell, 201);
  });

  router.patch('/cells/:cellId', async (req, res) => {
    const tenant = tenantOf(res);
    const { chatId, cellId } = params(req.params);
    const body = parseBody(UpdateCellBody, req.body);
    const cell = toCell(await tenant.cells.updateSource(chatId, cellId, body.source));
    await options.events.publish({ type: 'cell.updated', chatId, messageId: cell.messageId, data: { cell } });
    sendValid(res, Cell, cell);
  });

  router.delete('/cells/:cellId', async (req, res) => {
    const tenant = tenantOf(res);
    const { chatId, cellId } = params(req.params);
    const cell = await tenant.cells.get(chatId, cellId);
    await tenant.cells.delete(chatId, cellId);
    await options.events.publish({ type: 'cell.deleted', chatId, messageId: cell.messageId, data: { cellId } });
    res.status(204).end();
  });

  router.post('/clear-outputs', async (req, res) => {
    const tenant = tenantOf(res);
    const { chatId } = params(req.params);
    await tenant.chats.get(chatId);
    await tenant.cells.clearOutputs(chatId);
    await options.events.publish({ type: 'outputs.cleared', chatId, messageId: null, data: {} });
    res.status(204).end();
  });

  router.post('/interrupt', async (req, res) => {
    const tenant = tenantOf(res);
    const { chatId } = params(req.params);
    await tenant.chats.get(chatId);
    await options.control.send({ type: 'interrupt', tenantId: tenant.tenantId, chatId });
    res.status(202).json({ chatId, interrupted: true });
  });

  router.post('/restart', async (req, res) => {
    const tenant = tenantOf(res);
    const { chatId } = params(req.params);
    await tenant.chats.get(chatId);
    const operationId = randomUUID();
    const replica = await options.sessions.ownerOf(tenant.tenantId, chatId);
    await options.operations.record(tenant.tenantId, { id: operationId, chatId, kind: 'restart', cellIds: [], createdAt: new Date().toISOString() });
    await options.queues.add('notebook', { op: 'restart', tenantId: tenant.tenantId, chatId, operationId }, { replica });
    sendValid(res, NotebookOperationResource, { operationId, chatId, kind: 'restart', cellIds: [] }, 202);
  });

  router.get('/variables', async (req, res) => {
    const tenant = tenantOf(res);
    const { chatId } = params(req.params);
    const { variables, updatedAt } = await tenant.chats.getVariables(chatId);
    sendValid(res, VariablesResource, { chatId, variables, updatedAt: updatedAt?.toISOString() ?? null });
  });

  return router;
}

/** Route parameters, present by construction of the paths above. */
function params(raw: Record<string, string | undefined>): { chatId: string; cellId: string } {
  return { chatId: raw.chatId ?? '', cellId: raw.cellId ?? '' };
}
