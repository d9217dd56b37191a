import type { CodegenProvider, CodegenUsage, PrivacyLevel } from '@assay/codegen';
import { TenantScope, toCell, type PrismaClient } from '@assay/db';
import { ErrorCode, describeFailure } from '@assay/errors';
import type { ChatEventLog } from '@assay/events';
import type { MessagePipeline } from '@assay/pipeline';
import type { FinalFailureHandler, JobProcessor } from '@assay/queue';
import { AuditedCodegen, type CodegenAuditMode } from './codegen-audit';
import { buildCodegenRequest } from './codegen-request';
import { DeltaBuffer } from './delta-buffer';

export interface CodegenProcessorOptions {
  prisma: PrismaClient;
  provider: CodegenProvider;
  events: ChatEventLog;
  pipeline: MessagePipeline;
  deltaFlushMs: number;
  /** The deployment's privacy level (a tenant's `privacyLevel` column overrides it). @defaultValue "metadata" */
  privacyLevel?: PrivacyLevel;
  /** What the CodegenCall audit row keeps of each prompt. @defaultValue "full" */
  auditMode?: CodegenAuditMode;
  /**
   * Told the provider's token counts after each call, failed calls included (the tenant's daily
   * token quota, the tokens metric). A failure there is logged, never fails the job.
   * @defaultValue nothing
   */
  onUsage?: (tenantId: string, usage: CodegenUsage, model: string | undefined) => Promise<void>;
}

/**
 * Writes a message's notebook: asks the provider for cells (streaming its output as
 * codegen.delta events), stores them, announces each with cell.created, and queues execution.
 * A provider failure that may pass is retried by the queue (see {@link codegenFailureHandler}
 * for the last one).
 */
export function codegenProcessor(options: CodegenProcessorOptions): JobProcessor<'codegen'> {
  const audited = new AuditedCodegen({
    prisma: options.prisma,
    provider: options.provider,
    mode: options.auditMode ?? 'full',
    ...(options.onUsage === undefined ? {} : { onUsage: options.onUsage }),
  });
  return async ({ tenantId, chatId, messageId }, { logger }) => {
    const scope = new TenantScope(options.prisma, tenantId);
    const message = await scope.messages.get(messageId);
    if (message.status === 'executing') {
      // An earlier attempt stored the cells but stopped before handing over.
      await options.pipeline.startExecution(tenantId, chatId, messageId);
      return;
    }
    if (message.status !== 'generating') return;

    const request = await buildCodegenRequest(scope, message, { prisma: options.prisma, privacyLevel: options.privacyLevel ?? 'metadata' });
    const deltas = new DeltaBuffer(
      options.deltaFlushMs,
      (text) => options.events.publish({ type: 'codegen.delta', chatId, messageId, data: { text } }),
      (error) => logger.warn({ err: error }, 'could not publish a codegen delta'),
    );

    let result;
    try {
      result = await audited.generate(request, { tenantId, chatId, messageId }, { onDelta: deltas.push }, logger);
    } finally {
      await deltas.flush();
    }
    logger.info({ provider: options.provider.name, cells: result.cells.length, usage: result.usage, model: result.model }, 'cells generated');

    const cells = await scope.messages.finishGeneration(chatId, messageId, result.cells, options.provider.name);
    if (cells === null) return;
    for (const cell of cells) {
      await options.events.publish({ type: 'cell.created', chatId, messageId, data: { cell: toCell(cell) } });
    }
    await options.pipeline.startExecution(tenantId, chatId, messageId);
  };
}

/** When generation fails for good, the message fails with the provider's explanation. */
export function codegenFailureHandler(options: Pick<CodegenProcessorOptions, 'pipeline'>): FinalFailureHandler<'codegen'> {
  return async ({ tenantId, chatId, messageId }, error) => {
    await options.pipeline.fail(
      tenantId,
      chatId,
      messageId,
      describeFailure(error, { code: ErrorCode.CODEGEN_FAILED, message: 'The code generator failed unexpectedly; try again.' }),
    );
  };
}
