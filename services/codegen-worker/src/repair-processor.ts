import type { CodegenCellError, CodegenProvider, CodegenUsage, PrivacyLevel } from '@assay/codegen';
import { CellOutput, type Failure } from '@assay/contracts';
import { TenantScope, toCell, type PrismaClient } from '@assay/db';
import { isAssayError } from '@assay/errors';
import type { ChatEventLog } from '@assay/events';
import { explainCellFailure, type MessagePipeline } from '@assay/pipeline';
import type { FinalFailureHandler, JobProcessor } from '@assay/queue';
import { AuditedCodegen, type CodegenAuditMode } from './codegen-audit';
import { buildCodegenRequest } from './codegen-request';

/** Repair attempts per message when ASSAY_REPAIR_MAX_ATTEMPTS is not set. */
export const DEFAULT_REPAIR_MAX_ATTEMPTS = 3;
/** Traceback lines sent with a repair request: the last ones, where the error is raised. */
const MAX_TRACEBACK_LINES = 20;
/** Characters kept of one traceback line. */
const MAX_TRACEBACK_LINE_CHARS = 400;
/** Added to positions while cells move, so the (chat, position) unique index never sees two equal. */
const POSITION_SHIFT_OFFSET = 1_000_000_000;

export interface RepairProcessorOptions {
  prisma: PrismaClient;
  provider: CodegenProvider;
  events: ChatEventLog;
  pipeline: MessagePipeline;
  /** Fixes tried per message before it fails (ASSAY_REPAIR_MAX_ATTEMPTS; 0 turns repair off). @defaultValue 3 */
  maxAttempts?: number;
  /** @defaultValue "metadata" */
  privacyLevel?: PrivacyLevel;
  /** @defaultValue "full" */
  auditMode?: CodegenAuditMode;
  /** As for codegen: every call's tokens (quota, metrics). @defaultValue nothing */
  onUsage?: (tenantId: string, usage: CodegenUsage, model: string | undefined) => Promise<void>;
}

/**
 * Automatic repair of a generated cell that failed: sends the message's notebook, the failing
 * cell and its error (name, message, trimmed traceback) with the usual context to the provider;
 * its cells replace the failed one (which stays, marked `supersededById`, as the attempt's
 * history), later cells move down, and execution resumes from the replacement. When attempts
 * are used up, or the provider offers no fix (the offline analyst never does), the message
 * fails with the last error in plain words.
 */
export function repairProcessor(options: RepairProcessorOptions): JobProcessor<'repair'> {
  const maxAttempts = options.maxAttempts ?? DEFAULT_REPAIR_MAX_ATTEMPTS;
  const audited = new AuditedCodegen({
    prisma: options.prisma,
    provider: options.provider,
    mode: options.auditMode ?? 'full',
    ...(options.onUsage === undefined ? {} : { onUsage: options.onUsage }),
  });
  return async ({ tenantId, chatId, messageId, failedCellId, attempt }, { logger }) => {
    const scope = new TenantScope(options.prisma, tenantId);
    const message = await scope.messages.get(messageId);
    if (message.status !== 'executing') return;
    const failed = await options.prisma.cell.findFirst({ where: { id: failedCellId, tenantId, messageId } });
    if (failed === null || failed.status !== 'error') return;
    if (failed.supersededById !== null) {
      // An earlier run of this job replaced the cell but stopped before handing over.
      await options.pipeline.startExecution(tenantId, chatId, messageId, attempt);
      return;
    }

    const error = errorOf(failed.outputs);
    const explained = explainCellFailure(failed.position, error);
    const failWith = (failure: Failure) => options.pipeline.fail(tenantId, chatId, messageId, failure);
    if (attempt > maxAttempts) {
      const after = maxAttempts === 0 ? 'Automatic repair is turned off.' : `Automatic repair tried ${maxAttempts} ${maxAttempts === 1 ? 'fix' : 'fixes'}, and the last one failed too.`;
      logger.info({ attempt, maxAttempts }, 'repair attempts exhausted; message failed');
      await failWith({ code: explained.code, message: `${explained.message} ${after}` });
      return;
    }

    await options.events.publish({ type: 'repair.started', chatId, messageId, data: { attempt, maxAttempts, failedCellId } });
    const current = (await scope.cells.listForMessage(messageId)).filter((cell) => cell.supersededById === null);
    const failingCellIndex = current.findIndex((cell) => cell.id === failedCellId);
    const base = await buildCodegenRequest(scope, message, { prisma: options.prisma, privacyLevel: options.privacyLevel ?? 'metadata' });
    let result;
    try {
      result = await audited.generate(
      {
        ...base,
        kind: 'repair',
        repair: {
          attempt,
          cells: current.map((cell) => ({ kind: cell.kind, source: cell.source })),
          failingCellIndex,
          error: error ?? { name: 'Error', value: 'the cell failed', traceback: [] },
        },
      },
      { tenantId, chatId, messageId },
      {},
      logger,
    );
    } catch (error) {
      // A passing failure (rate limit, overload) is retried by the queue; the final one ends in repairFailureHandler.
      if (isAssayError(error) && error.retryable) throw error;
      logger.info({ err: error, attempt }, 'provider could not repair; message failed');
      await failWith({ code: explained.code, message: `${explained.message} ${couldNotAsk(error)}` });
      return;
    }
    if (!result.cells.some((cell) => cell.kind === 'code')) {
      logger.info({ attempt, provider: options.provider.name }, 'provider offered no fix; message failed');
      await failWith({
        code: explained.code,
        message: `${explained.message} The ${options.provider.name} code generator offered no fix, so automatic repair stopped.`,
      });
      return;
    }

    const replaced = await replaceCell(options.prisma, { tenantId, chatId, messageId, failedCellId, position: failed.position, drafts: result.cells });
    if (replaced === null) return;
    for (const cell of replaced.created) await options.events.publish({ type: 'cell.created', chatId, messageId, data: { cell: toCell(cell) } });
    for (const cell of replaced.updated) await options.events.publish({ type: 'cell.updated', chatId, messageId, data: { cell: toCell(cell) } });
    await options.events.publish({
      type: 'repair.completed',
      chatId,
      messageId,
      data: { attempt, failedCellId, replacementCellIds: replaced.created.map((cell) => cell.id) },
    });
    logger.info({ attempt, cells: replaced.created.length }, 'failed cell replaced; running again');
    await options.pipeline.startExecution(tenantId, chatId, messageId, attempt);
  };
}

/** When a repair job fails for good (the provider kept failing), the message fails with the cell's error and the reason. */
export function repairFailureHandler(options: Pick<RepairProcessorOptions, 'pipeline' | 'prisma'>): FinalFailureHandler<'repair'> {
  return async ({ tenantId, chatId, messageId, failedCellId }, error) => {
    const failed = await options.prisma.cell.findFirst({ where: { id: failedCellId, tenantId }, select: { position: true, outputs: true } });
    const explained = explainCellFailure(failed?.position ?? 0, errorOf(failed?.outputs));
    await options.pipeline.fail(tenantId, chatId, messageId, { code: explained.code, message: `${explained.message} ${couldNotAsk(error)}` });
  };
}

function couldNotAsk(error: unknown): string {
  const reason = isAssayError(error) ? ` (${error.message.replace(/[.\s]+$/, '')})` : '';
  return `Automatic repair stopped: the code generator could not be asked for a fix${reason}.`;
}

/** The error output a failed cell stored, traceback trimmed to its last lines. */
function errorOf(outputs: unknown): CodegenCellError | undefined {
  const list = Array.isArray(outputs) ? outputs : [];
  for (const item of list) {
    const parsed = CellOutput.safeParse(item);
    if (parsed.success && parsed.data.output_type === 'error') {
      const { ename, evalue, traceback } = parsed.data;
      return {
        name: ename,
        value: evalue,
        // eslint-disable-next-line no-control-regex -- ANSI colour codes of IPython tracebacks
        traceback: traceback.slice(-MAX_TRACEBACK_LINES).map((line) => line.replace(/\u001b\[[0-9;]*m/g, '').slice(0, MAX_TRACEBACK_LINE_CHARS)),
      };
    }
  }
  return undefined;
}

interface Replacement {
  tenantId: string;
  chatId: string;
  messageId: string;
  failedCellId: string;
  position: number;
  drafts: { kind: 'markdown' | 'code'; source: string }[];
}

/**
 * In one transaction: moves the chat's cells after the failed one down by the number of
 * replacements, inserts the replacements right after it (code `queued`, markdown `idle`) and
 * marks it superseded by the first. Returns null when another run already did it.
 */
async function replaceCell(prisma: PrismaClient, replacement: Replacement) {
  const { tenantId, chatId, messageId, failedCellId, position, drafts } = replacement;
  return prisma.$transaction(async (tx) => {
    // Row lock on the chat: cells of a chat are only renumbered by one transaction at a time.
    await tx.$queryRaw`SELECT id FROM "Chat" WHERE id = ${chatId}::uuid AND "tenantId" = ${tenantId}::uuid FOR UPDATE`;
    const claimed = await tx.cell.updateMany({ where: { id: failedCellId, tenantId, supersededById: null }, data: { supersededById: failedCellId } });
    if (claimed.count === 0) return null;
    const later = { chatId, tenantId, position: { gt: position } };
    const moved = await tx.cell.findMany({ where: later, select: { id: true } });
    await tx.cell.updateMany({ where: later, data: { position: { increment: POSITION_SHIFT_OFFSET + drafts.length } } });
    await tx.cell.updateMany({ where: { chatId, tenantId, position: { gt: POSITION_SHIFT_OFFSET } }, data: { position: { decrement: POSITION_SHIFT_OFFSET } } });
    const created = await tx.cell.createManyAndReturn({
      data: drafts.map((draft, index) => ({
        tenantId,
        chatId,
        messageId,
        position: position + 1 + index,
        kind: draft.kind,
        source: draft.source,
        status: draft.kind === 'code' ? ('queued' as const) : ('idle' as const),
      })),
    });
    created.sort((a, b) => a.position - b.position);
    const first = created[0];
    if (first === undefined) return null;
    const failed = await tx.cell.update({ where: { id: failedCellId }, data: { supersededById: first.id } });
    const updated = await tx.cell.findMany({ where: { id: { in: moved.map((cell) => cell.id) } }, orderBy: { position: 'asc' } });
    return { created, updated: [failed, ...updated] };
  });
}
