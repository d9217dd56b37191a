import {
  PrivacyLevel,
  parseCodegenRequest,
  type CodegenCellError,
  type CodegenOutputSummary,
  type CodegenRequest,
  type CodegenVariable,
} from '@assay/codegen';
import { CellOutput } from '@assay/contracts';
import { fileMetadataOf, type MessageWithFiles, type PrismaClient, type TenantScope } from '@assay/db';

/** Where the sandbox shows a chat's files. */
const DATA_DIR = '/mnt/data';

/** Options of {@link buildCodegenRequest}. */
export interface BuildCodegenRequestOptions {
  /** Used for what the tenant scope does not offer: earlier cells' outputs and the tenant's privacy level. */
  prisma: PrismaClient;
  /** The deployment's level (`ASSAY_PRIVACY_LEVEL`), unless the tenant overrides it. */
  privacyLevel: PrivacyLevel;
}

/**
 * Builds what the model may be told about a message: the question, the metadata of the chat's
 * files (every file attached up to this message, as the kernel's /mnt/data holds them, this
 * message's own first), earlier messages' code with their outputs summarised, the kernel's
 * variables and the chat's last error, and the privacy level. It may carry more than the model
 * will see (output text, raw error messages): `buildPrompt` applies the privacy level, in one place.
 */
export async function buildCodegenRequest(
  scope: TenantScope,
  message: MessageWithFiles,
  options: BuildCodegenRequestOptions,
): Promise<CodegenRequest> {
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

  const earlierIds = earlier.map((previous) => previous.id);
  const outputRows =
    earlierIds.length === 0
      ? []
      : await options.prisma.cell.findMany({
          where: { tenantId: message.tenantId, messageId: { in: earlierIds } },
          select: { id: true, outputs: true },
        });
  const outputsByCell = new Map(outputRows.map((row) => [row.id, parseOutputs(row.outputs)]));

  let lastError: CodegenCellError | undefined;
  const history = earlier.map((previous) => ({
    question: previous.content,
    // Cells that automatic repair replaced are history, not the working notebook the model builds on.
    cells: previous.cells.filter((cell) => cell.supersededById === null).map((cell) => {
      const outputs = outputsByCell.get(cell.id) ?? [];
      const error = outputs.find((output) => output.output_type === 'error');
      if (error !== undefined && error.output_type === 'error') {
        lastError = { name: error.ename, value: error.evalue, traceback: error.traceback };
      } else if (cell.kind === 'code' && cell.status === 'ok') {
        lastError = undefined;
      }
      return { kind: cell.kind, source: cell.source, outputs: outputs.map(summarise) };
    }),
  }));

  const { variables } = await scope.chats.getVariables(message.chatId);
  const knownHeaders = new Set(files.flatMap((file) => file.sheets.flatMap((sheet) => sheet.headers)));
  const tenant = await options.prisma.tenant.findUnique({ where: { id: message.tenantId }, select: { privacyLevel: true } });
  const override = PrivacyLevel.safeParse(tenant?.privacyLevel);

  return parseCodegenRequest({
    question: message.content,
    files,
    history,
    variables: variables.map(
      (variable): CodegenVariable => ({
        name: variable.name,
        type: variable.type,
        ...(variable.shape === null ? (variable.length === null ? {} : { shape: `len ${variable.length}` }) : { shape: `(${variable.shape.join(', ')})` }),
        ...dtypesOfKnownColumns(variable.dtypes, knownHeaders),
      }),
    ),
    ...(lastError === undefined ? {} : { lastError }),
    privacyLevel: override.success ? override.data : options.privacyLevel,
  });
}

function parseOutputs(value: unknown): CellOutput[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((item) => {
    const parsed = CellOutput.safeParse(item);
    return parsed.success ? [parsed.data] : [];
  });
}

/** Kind, MIME types and size of an output; its text is kept for privacy level `outputs` only (buildPrompt decides). */
function summarise(output: CellOutput): CodegenOutputSummary {
  switch (output.output_type) {
    case 'stream':
      return { kind: 'stream', sizeBytes: Buffer.byteLength(output.text), text: output.text };
    case 'error': {
      const text = `${output.ename}: ${output.evalue}`;
      return { kind: 'error', sizeBytes: Buffer.byteLength(text), text };
    }
    case 'display_data':
    case 'execute_result': {
      const mimeTypes = Object.keys(output.data);
      const sizeBytes = Object.values(output.data).reduce<number>((sum, value) => sum + Buffer.byteLength(typeof value === 'string' ? value : JSON.stringify(value)), 0);
      const plain = output.data['text/plain'];
      const text = typeof plain === 'string' ? plain : Array.isArray(plain) ? plain.join('') : undefined;
      return { kind: output.output_type, mimeTypes, sizeBytes, ...(text === undefined ? {} : { text }) };
    }
  }
}

/**
 * A frame's dtypes, keeping only columns named like a header of the chat's files. Column names
 * of a frame the code built can be data (a pivot turns a column's values into column names), and
 * a header is metadata the model is already told; so no value can reach it through a dtype key.
 */
function dtypesOfKnownColumns(dtypes: Record<string, string> | null, knownHeaders: ReadonlySet<string>): { dtypes?: Record<string, string> } {
  if (dtypes === null) return {};
  const known = Object.entries(dtypes).filter(([column]) => knownHeaders.has(column));
  return known.length === 0 ? {} : { dtypes: Object.fromEntries(known) };
}
