import { parseCodegenRequest, type CodegenRequest } from '@assay/codegen';
import { fileMetadataOf, type MessageWithFiles, type TenantScope } from '@assay/db';

/** Where the sandbox shows a chat's files. */
const DATA_DIR = '/mnt/data';

/**
 * Builds what the model may see for a message: the question, the metadata of the chat's files
 * (this message's first, then earlier ones, all present in the kernel's /mnt/data), and the
 * code of earlier messages. Metadata only: headers, sheet names, row counts — never cell values.
 */
export async function buildCodegenRequest(scope: TenantScope, message: MessageWithFiles): Promise<CodegenRequest> {
  const earlier = await scope.messages.listBefore(message.chatId, message.seq);

  const files: CodegenRequest['files'] = [];
  const seenNames = new Set<string>();
  for (const { file } of [message, ...[...earlier].reverse()].flatMap((candidate) => candidate.files)) {
    if (seenNames.has(file.name) || file.status !== 'ready') continue;
    seenNames.add(file.name);
    const metadata = fileMetadataOf(file);
    files.push({
      name: file.name,
      path: `${DATA_DIR}/${file.name}`,
      format: file.format,
      sizeBytes: Number(file.sizeBytes),
      sheets: metadata?.sheets ?? [],
      ...(metadata?.delimiter === undefined ? {} : { delimiter: metadata.delimiter }),
      ...(metadata?.encoding === undefined ? {} : { encoding: metadata.encoding }),
    });
  }

  return parseCodegenRequest({
    question: message.content,
    files,
    history: earlier.map((previous) => ({
      question: previous.content,
      cells: previous.cells.map((cell) => ({ kind: cell.kind, source: cell.source })),
    })),
  });
}
