import { parseCodegenRequest, type CodegenRequest } from '@assay/codegen';
import { fileMetadataOf, type MessageWithFiles, type TenantScope } from '@assay/db';

/** Where the sandbox shows a chat's files. */
const DATA_DIR = '/mnt/data';

/**
 * Builds what the model may see for a message: the question, the metadata of the chat's files
 * (every file attached up to this message, as the kernel's /mnt/data holds them, this
 * message's own first), and the code
 * of earlier messages. Metadata only: headers, sheet names, row counts — never cell values.
 */
export async function buildCodegenRequest(scope: TenantScope, message: MessageWithFiles): Promise<CodegenRequest> {
  const earlier = await scope.messages.listBefore(message.chatId, message.seq);
  // This message's files first: they are what the question is most likely about.
  const attachedNow = new Set(message.files.map(({ fileId }) => fileId));
  const chatFiles = (await scope.messages.chatFilesUpTo(message.chatId, message.seq)).sort(
    (a, b) => Number(attachedNow.has(b.file.id)) - Number(attachedNow.has(a.file.id)),
  );

  const files: CodegenRequest['files'] = [];
  for (const { file, workspaceName } of chatFiles) {
    if (file.status !== 'ready') continue;
    const metadata = fileMetadataOf(file);
    files.push({
      name: workspaceName,
      path: `${DATA_DIR}/${workspaceName}`,
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
