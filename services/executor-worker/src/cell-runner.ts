import { type CellOutput, Variable } from '@assay/contracts';
import type { RunnableCell, TenantScope } from '@assay/db';
import type { ChatEventLog } from '@assay/events';
import type { Logger } from '@assay/logger';
import type { Execution } from '@assay/sandbox';
import { z } from 'zod';
import type { ArtifactCollector } from './artifact-collector';
import type { ChatSession } from './kernel-sessions';
import { VARIABLES_EXPRESSION } from './kernel-code';

/** Options of {@link CellRunner}. */
export interface CellRunnerOptions {
  events: ChatEventLog;
  artifacts: ArtifactCollector;
  cellTimeoutMs: number;
}

/** The chat a cell runs in. */
export interface RunTarget {
  scope: TenantScope;
  chatId: string;
  session: ChatSession;
  logger: Logger;
}

const VariablesJson = z.array(Variable);

/**
 * Runs one stored cell in its chat's kernel, the same way for a message's cells and for cells
 * a person re-runs: marks it running, streams each output as a cell.output event, keeps the
 * files it wrote as artifacts, stores its outputs and status, and reports the kernel's
 * variables after a successful cell.
 */
export class CellRunner {
  constructor(private readonly options: CellRunnerOptions) {}

  async run(cell: RunnableCell, target: RunTarget): Promise<Execution> {
    const { scope, chatId, session, logger } = target;
    const { events } = this.options;
    const messageId = cell.messageId;
    const started = performance.now();
    // The workspace scan does not depend on the database write: overlap them. Events are
    // published only once the state they announce is stored, so a client that reacts to an
    // event (re-runs the cell, reads the notebook) sees that state.
    const [, workspaceBefore] = await Promise.all([scope.cells.markRunning(cell.id), this.options.artifacts.snapshot(session.slot.workspace)]);
    // The kernel starts while cell.started is on its way: outputs are chained after it, so they
    // still arrive in order, and the cell does not wait a Redis round trip to begin.
    let published: Promise<unknown> = events.publish({ type: 'cell.started', chatId, messageId, data: { cellId: cell.id } });
    // Marked handled until it is awaited below (a failure must not crash the process meanwhile).
    published.catch(() => undefined);
    const execution = await session.sandbox.runCode(cell.source, {
      timeoutMs: this.options.cellTimeoutMs,
      userExpressions: { variables: VARIABLES_EXPRESSION },
      onOutput: (output: CellOutput) => {
        published = published.then(() => events.publish({ type: 'cell.output', chatId, messageId, data: { cellId: cell.id, output } }));
      },
    });
    session.lastUsedAt = Date.now();
    // Files are collected while the last outputs are published; their notes follow them.
    const [, notices] = await Promise.all([published, this.options.artifacts.collect(workspaceBefore, { scope, chatId, messageId, cellId: cell.id, logger })]);
    for (const output of notices) {
      await events.publish({ type: 'cell.output', chatId, messageId, data: { cellId: cell.id, output } });
    }

    const status = execution.error ? 'error' : 'ok';
    const executionCount = execution.executionCount ?? null;
    await scope.cells.complete(cell.id, { status, executionCount, outputs: [...execution.outputs, ...notices] });
    await events.publish({
      type: 'cell.completed',
      chatId,
      messageId,
      data: { cellId: cell.id, status, executionCount, durationMs: Math.round(performance.now() - started) },
    });
    await this.reportVariables(execution, target, messageId);
    return execution;
  }

  private async reportVariables(execution: Execution, target: RunTarget, messageId: string): Promise<void> {
    const answer = execution.userExpressions.variables;
    if (answer === undefined) return;
    if (answer.status !== 'ok') {
      target.logger.warn({ ename: answer.ename, evalue: answer.evalue }, 'could not list the kernel variables');
      return;
    }
    const parsed = VariablesJson.safeParse(answer.data['application/json']);
    if (!parsed.success) {
      target.logger.warn({ issues: parsed.error.issues.slice(0, 3) }, 'the kernel listed variables in an unexpected shape');
      return;
    }
    await target.scope.chats.setVariables(target.chatId, parsed.data);
    await this.options.events.publish({ type: 'variables.updated', chatId: target.chatId, messageId, data: { variables: parsed.data } });
  }
}
