import {
  type ArtifactResource,
  Cell,
  CellOutput,
  type ChatResource,
  FileMetadata,
  type FileResource,
  type MessageResource,
} from '@assay/contracts';
import { z } from 'zod';
import type * as Rows from './generated/prisma/client.js';

/**
 * Row -> contract conversions. JSON columns are parsed with their zod schema here, so a row
 * written by an older version that no longer fits fails loudly instead of leaking out.
 */

const CellOutputs = z.array(CellOutput);

function iso(date: Date): string;
function iso(date: Date | null): string | null;
function iso(date: Date | null): string | null {
  return date === null ? null : date.toISOString();
}

function failureOf(row: { failureCode: string | null; failureReason: string | null }) {
  return row.failureCode === null ? null : { code: row.failureCode, message: row.failureReason ?? '' };
}

/** The metadata stored on a file row, or null while it is pending. */
export function fileMetadataOf(row: Rows.File): FileMetadata | null {
  return row.metadata === null ? null : FileMetadata.parse(row.metadata);
}

export function toFileResource(row: Rows.File): FileResource {
  return {
    id: row.id,
    name: row.name,
    format: row.format,
    sizeBytes: Number(row.sizeBytes),
    sha256: row.sha256,
    status: row.status,
    failure: failureOf(row),
    metadata: fileMetadataOf(row),
    createdAt: iso(row.createdAt),
    ingestedAt: iso(row.ingestedAt),
  };
}

export function toCell(row: Rows.Cell): Cell {
  return Cell.parse({
    id: row.id,
    messageId: row.messageId,
    position: row.position,
    kind: row.kind,
    source: row.source,
    status: row.status,
    executionCount: row.executionCount,
    outputs: CellOutputs.parse(row.outputs),
    startedAt: iso(row.startedAt),
    completedAt: iso(row.completedAt),
    supersededById: row.supersededById,
  });
}

export type MessageRowWithRelations = Rows.Message & { files: Rows.MessageFile[]; cells: Rows.Cell[]; artifacts: Rows.Artifact[] };

export function toArtifactResource(row: Rows.Artifact): ArtifactResource {
  return {
    id: row.id,
    chatId: row.chatId,
    messageId: row.messageId,
    cellId: row.cellId,
    name: row.name,
    mimeType: row.mimeType,
    sizeBytes: Number(row.sizeBytes),
    sha256: row.sha256,
    createdAt: iso(row.createdAt),
  };
}

export function toMessageResource(row: MessageRowWithRelations): MessageResource {
  return {
    id: row.id,
    chatId: row.chatId,
    seq: row.seq,
    content: row.content,
    fileIds: [...row.files].sort((a, b) => a.position - b.position).map((file) => file.fileId),
    status: row.status,
    failure: failureOf(row),
    provider: row.provider,
    createdAt: iso(row.createdAt),
    completedAt: iso(row.completedAt),
    cells: [...row.cells].sort((a, b) => a.position - b.position).map(toCell),
    artifacts: row.artifacts.map(toArtifactResource),
  };
}

export function toChatResource(row: Rows.Chat & { messages: MessageRowWithRelations[] }): ChatResource {
  return {
    id: row.id,
    title: row.title,
    createdAt: iso(row.createdAt),
    messages: [...row.messages].sort((a, b) => a.seq - b.seq).map(toMessageResource),
  };
}
