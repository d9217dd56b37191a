import type { ChatResource, CellOutput } from '@assay/contracts';
import { z } from 'zod';

/** Where the analysis reads its files: the path Assay's kernels see, kept in the export. */
export const NOTEBOOK_DATA_DIR = '/mnt/data';

/** One data file of the chat, as the exported notebook names it. */
export interface ExportedDataFile {
  /** Name under {@link NOTEBOOK_DATA_DIR} (the workspace name, unique within the chat). */
  name: string;
  sizeBytes: number;
  sha256: string;
}

/**
 * A notebook in nbformat 4.5 (cells carry ids), the subset Assay writes. Validated before it is
 * sent, so a change that would break the format fails here rather than in a reader's Jupyter.
 */
export const IpynbNotebook = z.object({
  nbformat: z.literal(4),
  nbformat_minor: z.literal(5),
  metadata: z.object({
    kernelspec: z.object({ name: z.string(), display_name: z.string(), language: z.string() }),
    language_info: z.object({ name: z.string() }).catchall(z.unknown()),
  }).catchall(z.unknown()),
  cells: z.array(
    z.discriminatedUnion('cell_type', [
      z.object({ cell_type: z.literal('markdown'), id: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/), metadata: z.record(z.string(), z.unknown()), source: z.string() }),
      z.object({
        cell_type: z.literal('code'),
        id: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/),
        metadata: z.record(z.string(), z.unknown()),
        source: z.string(),
        execution_count: z.number().int().nullable(),
        outputs: z.array(z.record(z.string(), z.unknown())),
      }),
    ]),
  ),
});
export type IpynbNotebook = z.infer<typeof IpynbNotebook>;
type IpynbCell = IpynbNotebook['cells'][number];

/**
 * A chat as a Jupyter notebook: every cell in notebook order with its outputs as stored (they are
 * nbformat outputs already), each message's question as a quoted markdown cell before its cells,
 * and two cells in front that make it re-runnable elsewhere:
 *
 * 1. a markdown cell naming the data files and where they go (`/mnt/data`, the path the code
 *    reads, unchanged, so the code is exactly what ran);
 * 2. a setup code cell that stops with a clear message when a file is missing, and works in
 *    `/mnt/data` as Assay's kernels do.
 */
export function chatToNotebook(chat: ChatResource, files: readonly ExportedDataFile[], exportedAt: Date): IpynbNotebook {
  const cells: IpynbCell[] = [dataFilesCell(chat, files), setupCell(files)];
  // Cells that automatic repair replaced are history (still in the API), not the working notebook.
  const allCells = chat.messages
    .flatMap((message) => message.cells)
    .filter((cell) => (cell.supersededById ?? null) === null)
    .sort((a, b) => a.position - b.position);
  const introduced = new Set<string>();
  const messages = new Map(chat.messages.map((message) => [message.id, message]));
  for (const cell of allCells) {
    const message = messages.get(cell.messageId);
    if (message !== undefined && !introduced.has(message.id)) {
      introduced.add(message.id);
      cells.push(questionCell(message));
    }
    const metadata = { assay: { cellId: cell.id, messageId: cell.messageId, status: cell.status } };
    if (cell.kind === 'markdown') {
      cells.push({ cell_type: 'markdown', id: cell.id, metadata, source: cell.source });
    } else {
      cells.push({
        cell_type: 'code',
        id: cell.id,
        metadata,
        source: cell.source,
        execution_count: cell.executionCount,
        outputs: cell.outputs.map(toIpynbOutput),
      });
    }
  }
  // Messages without cells (failed before any were written) still show what was asked.
  for (const message of chat.messages) if (!introduced.has(message.id)) cells.push(questionCell(message));

  return IpynbNotebook.parse({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { name: 'python3', display_name: 'Python 3 (ipykernel)', language: 'python' },
      language_info: {
        name: 'python',
        mimetype: 'text/x-python',
        file_extension: '.py',
        pygments_lexer: 'ipython3',
        codemirror_mode: { name: 'ipython', version: 3 },
        nbconvert_exporter: 'python',
      },
      title: chat.title ?? `Assay chat ${chat.id}`,
      assay: { chatId: chat.id, exportedAt: exportedAt.toISOString(), dataDir: NOTEBOOK_DATA_DIR, files },
    },
    cells,
  });
}

function dataFilesCell(chat: ChatResource, files: readonly ExportedDataFile[]): IpynbCell {
  const lines = [
    `# ${escapeMarkdown(chat.title ?? 'Assay analysis')}`,
    '',
    `Exported from Assay (chat \`${chat.id}\`). The cells below are the ones that ran, with their outputs.`,
    '',
    '## Data files',
    '',
  ];
  if (files.length === 0) {
    lines.push('This analysis uses no uploaded files.');
  } else {
    lines.push(
      `The code reads its files from \`${NOTEBOOK_DATA_DIR}\`, as it did in Assay. Put these files there before running it:`,
      '',
      '| File | Size (bytes) | SHA-256 |',
      '|---|---|---|',
      ...files.map((file) => `| \`${NOTEBOOK_DATA_DIR}/${escapeTableCell(file.name)}\` | ${file.sizeBytes} | \`${file.sha256}\` |`),
      '',
      'For example, with the files in a folder `data/` next to this notebook:',
      '',
      '```sh',
      `sudo mkdir -p ${NOTEBOOK_DATA_DIR} && sudo cp data/* ${NOTEBOOK_DATA_DIR}/ && sudo chmod -R a+rwX ${NOTEBOOK_DATA_DIR}`,
      '# or, in a container:',
      `docker run --rm -v "$PWD:/work" -v "$PWD/data:${NOTEBOOK_DATA_DIR}" -w /work jupyter/scipy-notebook jupyter nbconvert --to notebook --execute notebook.ipynb`,
      '```',
      '',
      'Files the code writes also go to that folder. The next cell checks that every file is in place.',
    );
  }
  // The latest version of each file the analysis wrote, as kept by Assay (a re-run writes them again).
  const written = new Map(chat.messages.flatMap((message) => message.artifacts).map((artifact) => [artifact.name, artifact]));
  if (written.size > 0) {
    lines.push(
      '',
      '## Files the analysis wrote',
      '',
      'Kept by Assay as it ran; download each from `GET /v1/artifacts/<id>`.',
      '',
      '| File | Size (bytes) | Artifact id |',
      '|---|---|---|',
      ...[...written.values()].map((artifact) => `| \`${NOTEBOOK_DATA_DIR}/${escapeTableCell(artifact.name)}\` | ${artifact.sizeBytes} | \`${artifact.id}\` |`),
    );
  }
  return { cell_type: 'markdown', id: 'assay-data-files', metadata: {}, source: lines.join('\n') };
}

function setupCell(files: readonly ExportedDataFile[]): IpynbCell {
  const source = [
    '# Assay setup: the analysis below reads its files from /mnt/data and runs there, as in Assay.',
    'import os',
    'from pathlib import Path',
    '',
    `DATA_DIR = Path(${JSON.stringify(NOTEBOOK_DATA_DIR)})`,
    `DATA_FILES = ${JSON.stringify(files.map((file) => file.name))}`,
    'missing = [name for name in DATA_FILES if not (DATA_DIR / name).is_file()]',
    'if missing:',
    "    raise FileNotFoundError(f'Put these files in {DATA_DIR} before running this notebook (see the first cell): {missing}')",
    'if DATA_DIR.is_dir():',
    '    os.chdir(DATA_DIR)',
  ].join('\n');
  return { cell_type: 'code', id: 'assay-setup', metadata: { tags: ['assay-setup'] }, source, execution_count: null, outputs: [] };
}

function questionCell(message: ChatResource['messages'][number]): IpynbCell {
  const quoted = message.content
    .split('\n')
    .map((line) => `> ${line}`)
    .join('\n');
  const failure = message.failure === null ? '' : `\n\n*This message failed: ${message.failure.code}: ${message.failure.message}*`;
  return {
    cell_type: 'markdown',
    id: `question-${message.id}`,
    metadata: { assay: { messageId: message.id, seq: message.seq, status: message.status } },
    source: `**Question ${message.seq}:**\n\n${quoted}${failure}`,
  };
}

/** Stored outputs are nbformat outputs; only optional fields are normalised (a null-free shape). */
function toIpynbOutput(output: CellOutput): Record<string, unknown> {
  switch (output.output_type) {
    case 'stream':
      return { output_type: 'stream', name: output.name, text: output.text };
    case 'display_data':
      return { output_type: 'display_data', data: output.data, metadata: output.metadata };
    case 'execute_result':
      return { output_type: 'execute_result', execution_count: output.execution_count, data: output.data, metadata: output.metadata };
    case 'error':
      return { output_type: 'error', ename: output.ename, evalue: output.evalue, traceback: output.traceback };
  }
}

function escapeMarkdown(text: string): string {
  return text.replace(/([\\`*_[\]#<>|])/g, '\\$1');
}

function escapeTableCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/`/g, "'");
}
