import { z } from 'zod';
import { ArtifactResource } from './artifacts';
import { FileFormat, FileStatus, SheetMetadata } from './files';
import { Failure, ResourceId, Timestamp } from './ids';
import { Variable } from './kernel';
import { Cell, CellOutput, CellStatus } from './notebook';

/**
 * Chat events: everything that happens to a chat, in order.
 *
 * `id` increases by one per chat, with no gaps: a client that has seen event N and asks for
 * events after N misses nothing. Events are published by the workers and fanned out to every
 * gateway replica through Redis.
 */
function chatEvent<const T extends string, D extends z.ZodType>(type: T, data: D) {
  return z.object({
    /** Per-chat sequence number, from 1. */
    id: z.number().int().positive(),
    chatId: ResourceId,
    /** The message the event is about; null for events about the chat as a whole. */
    messageId: ResourceId.nullable(),
    type: z.literal(type),
    at: Timestamp,
    data,
  });
}

/** The message was stored and queued. */
export const MessageAcceptedEvent = chatEvent(
  'message.accepted',
  z.object({ seq: z.number().int().positive(), content: z.string(), fileIds: z.array(ResourceId) }),
);

/** A file attached to the message has been inspected (or could not be). */
export const FileIngestedEvent = chatEvent(
  'file.ingested',
  z.object({
    fileId: ResourceId,
    name: z.string(),
    format: FileFormat,
    status: FileStatus,
    sheets: z.array(SheetMetadata),
    failure: Failure.nullable(),
  }),
);

/** A piece of the model's output as it streams (text or partial tool input). */
export const CodegenDeltaEvent = chatEvent('codegen.delta', z.object({ text: z.string() }));

/** A notebook cell was written. */
export const CellCreatedEvent = chatEvent('cell.created', z.object({ cell: Cell }));

export const CellStartedEvent = chatEvent('cell.started', z.object({ cellId: ResourceId }));

/** One nbformat output of a running cell, as soon as the kernel sends it. */
export const CellOutputEvent = chatEvent(
  'cell.output',
  z.object({ cellId: ResourceId, output: CellOutput }),
);

export const CellCompletedEvent = chatEvent(
  'cell.completed',
  z.object({
    cellId: ResourceId,
    status: CellStatus,
    executionCount: z.number().int().nullable(),
    durationMs: z.number().nonnegative(),
  }),
);

/** A cell's source was edited (by a person, through the API). */
export const CellUpdatedEvent = chatEvent('cell.updated', z.object({ cell: Cell }));

/** A cell was removed from the notebook; cells after it moved up by one position. */
export const CellDeletedEvent = chatEvent('cell.deleted', z.object({ cellId: ResourceId }));

/** Every cell's outputs and execution count were cleared (the kernel keeps its variables). */
export const OutputsClearedEvent = chatEvent('outputs.cleared', z.object({}));

/** The chat's kernel was restarted on request: its variables are gone (and will not be replayed). */
export const KernelRestartedEvent = chatEvent('kernel.restarted', z.object({}));

/** The kernel's variables after a successful cell (names, types, shapes; never values). */
export const VariablesUpdatedEvent = chatEvent('variables.updated', z.object({ variables: z.array(Variable) }));

/** A cell wrote a file under /mnt/data and it was kept (see ArtifactResource). */
export const ArtifactCreatedEvent = chatEvent('artifact.created', z.object({ artifact: ArtifactResource }));

/**
 * The chat's kernel had been lost (crash, out of memory, idle timeout, executor restart) and a
 * new one was rebuilt by running the chat's earlier successful code cells again, in order,
 * before the next cell. Their outputs are not sent again. `failedCellIds` lists replayed cells
 * that raised this time (their variables may be missing).
 */
export const SessionRestoredEvent = chatEvent(
  'session.restored',
  z.object({
    replayedCells: z.number().int().nonnegative(),
    failedCellIds: z.array(ResourceId),
    durationMs: z.number().nonnegative(),
  }),
);

/**
 * A generated cell failed and automatic repair asks the provider for a fix: attempt `attempt`
 * of at most `maxAttempts` (ASSAY_REPAIR_MAX_ATTEMPTS) for the cell `failedCellId`.
 */
export const RepairStartedEvent = chatEvent(
  'repair.started',
  z.object({ attempt: z.number().int().positive(), maxAttempts: z.number().int().positive(), failedCellId: ResourceId }),
);

/**
 * The provider's fix replaced the failed cell (now superseded, see Cell.supersededById) with
 * `replacementCellIds`; they run next. When no fix comes (attempts exhausted, or the provider
 * cannot repair) the message ends with message.failed instead.
 */
export const RepairCompletedEvent = chatEvent(
  'repair.completed',
  z.object({ attempt: z.number().int().positive(), failedCellId: ResourceId, replacementCellIds: z.array(ResourceId).min(1) }),
);

export const MessageCompletedEvent = chatEvent(
  'message.completed',
  z.object({ cellCount: z.number().int().nonnegative() }),
);

export const MessageFailedEvent = chatEvent('message.failed', z.object({ error: Failure }));

export const ChatEvent = z.discriminatedUnion('type', [
  MessageAcceptedEvent,
  FileIngestedEvent,
  CodegenDeltaEvent,
  CellCreatedEvent,
  CellStartedEvent,
  CellOutputEvent,
  CellCompletedEvent,
  CellUpdatedEvent,
  CellDeletedEvent,
  OutputsClearedEvent,
  KernelRestartedEvent,
  VariablesUpdatedEvent,
  ArtifactCreatedEvent,
  SessionRestoredEvent,
  RepairStartedEvent,
  RepairCompletedEvent,
  MessageCompletedEvent,
  MessageFailedEvent,
]);
export type ChatEvent = z.infer<typeof ChatEvent>;
export type ChatEventType = ChatEvent['type'];

/** The event of one type. */
export type ChatEventOf<T extends ChatEventType> = Extract<ChatEvent, { type: T }>;

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** An event as a publisher hands it over: the event log assigns `id` and `at`. */
export type ChatEventInput = DistributiveOmit<ChatEvent, 'id' | 'at'>;

/** Narrows an event to one type. */
export function isChatEventOfType<T extends ChatEventType>(event: ChatEvent, type: T): event is ChatEventOf<T> {
  return event.type === type;
}
