import { JobResource, ResourceId, type JobStatus, type MessageStatus } from '@assay/contracts';
import type { TenantScope } from '@assay/db';
import { isAssayError, ErrorCode, NotFoundError } from '@assay/errors';
import { Router } from 'express';
import { tenantOf } from '../auth';
import type { OperationJournal, OperationRecord } from '../operation-journal';
import { sendValid } from '../validate';
import { batchResource } from './batches';

export interface JobRoutesOptions {
  operations: OperationJournal;
}

const MESSAGE_STATUS: Record<MessageStatus, JobStatus> = {
  queued: 'queued',
  generating: 'running',
  executing: 'running',
  completed: 'completed',
  failed: 'failed',
};

/**
 * `GET /v1/jobs/:jobId`: one way to poll whatever a 202 answer started — a message, a batch or a
 * notebook operation — by the id that answer gave. The status is read from where the work
 * records its progress (messages, cells, the chat), so it never disagrees with the events.
 */
export function jobRoutes(options: JobRoutesOptions): Router {
  const router = Router();

  router.get('/:jobId', async (req, res) => {
    const tenant = tenantOf(res);
    const id = req.params.jobId;
    if (!ResourceId.safeParse(id).success) throw new NotFoundError('Job', id);

    const operation = await options.operations.get(tenant.tenantId, id);
    if (operation) return sendValid(res, JobResource, await operationJob(tenant, operation));

    const message = await orUndefined(tenant.messages.get(id));
    if (message) {
      return sendValid(res, JobResource, {
        id,
        kind: 'message',
        status: MESSAGE_STATUS[message.status],
        chatId: message.chatId,
        cellIds: [],
        failure: message.failureCode === null ? null : { code: message.failureCode, message: message.failureReason ?? '' },
        createdAt: message.createdAt.toISOString(),
      });
    }

    const batch = await orUndefined(tenant.batches.get(id));
    if (batch) {
      const resource = await batchResource(tenant, batch);
      const failed = resource.items.find((item) => item.failure !== null);
      return sendValid(res, JobResource, {
        id,
        kind: 'batch',
        status: resource.status === 'running' ? (resource.counts.queued === resource.items.length ? 'queued' : 'running') : resource.status,
        chatId: null,
        cellIds: [],
        failure: resource.status === 'failed' && failed?.failure ? { code: failed.failure.code, message: `Message ${failed.messageId}: ${failed.failure.message}` } : null,
        createdAt: resource.createdAt,
      });
    }
    throw new NotFoundError('Job', id);
  });

  return router;
}

async function operationJob(tenant: TenantScope, operation: OperationRecord): Promise<JobResource> {
  const base = { id: operation.id, kind: operation.kind, chatId: operation.chatId, cellIds: operation.cellIds, createdAt: operation.createdAt };
  if (operation.kind === 'restart') {
    const chat = await tenant.chats.get(operation.chatId);
    const restarted = chat.kernelRestartedAt !== null && chat.kernelRestartedAt.getTime() >= Date.parse(operation.createdAt);
    return { ...base, status: restarted ? 'completed' : 'queued', failure: null };
  }
  const wanted = new Set(operation.cellIds);
  // A cell deleted since counts as done: nothing of it is left to run.
  const cells = (await tenant.cells.listCode(operation.chatId)).filter((cell) => wanted.has(cell.id));
  const pending = cells.filter((cell) => cell.status === 'queued' || cell.status === 'running');
  const failed = cells.find((cell) => cell.status === 'error');
  if (pending.length > 0) {
    const started = pending.length < cells.length || pending.some((cell) => cell.status === 'running');
    return { ...base, status: started ? 'running' : 'queued', failure: null };
  }
  return {
    ...base,
    status: failed ? 'failed' : 'completed',
    failure: failed ? { code: ErrorCode.CELL_ERROR, message: `Cell ${failed.position} (${failed.id}) raised an error; its outputs show which.` } : null,
  };
}

async function orUndefined<T>(lookup: Promise<T>): Promise<T | undefined> {
  try {
    return await lookup;
  } catch (error) {
    if (isAssayError(error) && error.code === ErrorCode.NOT_FOUND) return undefined;
    throw error;
  }
}
