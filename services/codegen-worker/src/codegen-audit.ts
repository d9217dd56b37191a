import { createHash } from 'node:crypto';
import type { CodegenProvider, CodegenRequest, CodegenResult, CodegenUsage, GenerateOptions, SentPrompt } from '@assay/codegen';
import type { PrismaClient } from '@assay/db';
import { isAssayError } from '@assay/errors';
import type { Logger } from '@assay/logger';
import { z } from 'zod';

/** What an audit row keeps of a prompt: the `full` text, or only its SHA-256 and size (`hash`). */
export type CodegenAuditMode = 'full' | 'hash';

/** Options of {@link AuditedCodegen}. */
export interface AuditedCodegenOptions {
  prisma: PrismaClient;
  provider: CodegenProvider;
  /** See {@link CodegenAuditMode}. @defaultValue "full" */
  mode?: CodegenAuditMode;
  /**
   * Told the tokens of every call, failed calls included (an invalid answer is paid for too):
   * the tenant's daily quota and the tokens metric. A throw is logged, never fails the call.
   * @defaultValue nothing
   */
  onUsage?: (tenantId: string, usage: CodegenUsage, model: string | undefined) => Promise<void>;
}

/** Which message a call is for. */
export interface CodegenCallTarget {
  tenantId: string;
  chatId: string;
  messageId: string;
}

const UsageDetail = z.object({
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  cacheReadTokens: z.number().int().nonnegative().optional(),
  cacheCreationTokens: z.number().int().nonnegative().optional(),
});

/**
 * Calls a provider and records the call as a `CodegenCall` row: exactly the prompt that was
 * sent (as the provider reported it through `onPromptSent`: full text or SHA-256 + size), how
 * many requests it took, the outcome and the tokens used, also when the call failed (an invalid
 * answer costs tokens too). The row is written before the result is returned or the error is
 * rethrown; a failure to write it is logged and does not change the outcome.
 *
 * @example
 * const result = await audited.generate(request, { tenantId, chatId, messageId }, { onDelta }, logger);
 */
export class AuditedCodegen {
  readonly #prisma: PrismaClient;
  readonly #provider: CodegenProvider;
  readonly #mode: CodegenAuditMode;
  readonly #onUsage: AuditedCodegenOptions['onUsage'];

  constructor(options: AuditedCodegenOptions) {
    this.#onUsage = options.onUsage;
    this.#prisma = options.prisma;
    this.#provider = options.provider;
    this.#mode = options.mode ?? 'full';
  }

  get providerName(): string {
    return this.#provider.name;
  }

  async generate(request: CodegenRequest, target: CodegenCallTarget, options: GenerateOptions, logger: Logger): Promise<CodegenResult> {
    const sent: SentPrompt[] = [];
    const onPromptSent = (prompt: SentPrompt) => {
      sent.push(prompt);
      options.onPromptSent?.(prompt);
    };
    let result: CodegenResult;
    try {
      result = await this.#provider.generate(request, { ...options, onPromptSent });
    } catch (error) {
      const usage = isAssayError(error) ? UsageDetail.safeParse(error.details?.['usage']) : undefined;
      await this.#record(request, target, sent, 'failed', usage?.success ? usage.data : undefined, undefined, logger);
      throw error;
    }
    await this.#record(request, target, sent, 'succeeded', result.usage, result.model, logger);
    return result;
  }

  async #record(
    request: CodegenRequest,
    target: CodegenCallTarget,
    sent: SentPrompt[],
    outcome: 'succeeded' | 'failed',
    usage: CodegenUsage | undefined,
    model: string | undefined,
    logger: Logger,
  ): Promise<void> {
    if (usage !== undefined && this.#onUsage !== undefined) {
      await this.#onUsage(target.tenantId, usage, model ?? sent.at(-1)?.model).catch((error: unknown) => logger.warn({ err: error }, 'could not record token usage'));
    }
    const prompt = sent[sent.length - 1];
    // Nothing was sent (the request was rejected before a prompt was built): nothing to audit.
    if (prompt === undefined) return;
    const text = `${prompt.system}\u0000${prompt.user}`;
    try {
      await this.#prisma.codegenCall.create({
        data: {
          tenantId: target.tenantId,
          chatId: target.chatId,
          messageId: target.messageId,
          kind: prompt.kind,
          attempt: request.repair?.attempt ?? null,
          provider: prompt.provider,
          model: model ?? prompt.model ?? null,
          privacyLevel: request.privacyLevel ?? 'metadata',
          auditMode: this.#mode,
          requestCount: sent.length,
          promptSha256: createHash('sha256').update(text, 'utf8').digest('hex'),
          promptBytes: Buffer.byteLength(text, 'utf8'),
          systemText: this.#mode === 'full' ? prompt.system : null,
          userText: this.#mode === 'full' ? prompt.user : null,
          outcome,
          inputTokens: usage?.inputTokens ?? null,
          outputTokens: usage?.outputTokens ?? null,
          cacheReadTokens: usage?.cacheReadTokens ?? null,
          cacheCreationTokens: usage?.cacheCreationTokens ?? null,
        },
      });
    } catch (error) {
      logger.error({ err: error }, 'could not write the codegen audit record');
    }
  }
}

/**
 * Tokens a tenant's codegen calls used since `since`, summed from the audit rows (the per-tenant
 * aggregate in the database; the daily quota itself is counted in Redis by @assay/quota).
 */
export async function tenantTokenUsage(prisma: PrismaClient, tenantId: string, since: Date): Promise<Required<CodegenUsage>> {
  const sums = await prisma.codegenCall.aggregate({
    where: { tenantId, createdAt: { gte: since } },
    _sum: { inputTokens: true, outputTokens: true, cacheReadTokens: true, cacheCreationTokens: true },
  });
  return {
    inputTokens: sums._sum.inputTokens ?? 0,
    outputTokens: sums._sum.outputTokens ?? 0,
    cacheReadTokens: sums._sum.cacheReadTokens ?? 0,
    cacheCreationTokens: sums._sum.cacheCreationTokens ?? 0,
  };
}
