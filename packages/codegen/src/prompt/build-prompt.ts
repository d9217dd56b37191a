import { parseCodegenRequest } from '../parse-codegen-request';
import type { CodegenFile, CodegenHistoryEntry, CodegenRequest } from '../types';
import { SYSTEM_PROMPT } from './system-prompt';

/** Column names listed per sheet; wider sheets are summarised (the code can read the rest). */
export const MAX_COLUMNS_LISTED = 300;

/** Longer column or sheet names are cut short in the prompt. */
export const MAX_NAME_CHARS = 200;

/**
 * Budget for earlier messages' code, in characters. The oldest messages are left out first;
 * the newest one is always kept.
 */
export const MAX_HISTORY_CHARS = 40_000;

/** What is sent to a model for one request, independent of the provider's wire format. */
export interface Prompt {
  /** Static instructions ({@link SYSTEM_PROMPT}): the same for every request, so cacheable. */
  system: string;
  /** The user turn: file metadata, the chat's earlier code, then the question. */
  user: string;
}

/**
 * Turns a request into the text a model receives. This is the only place where that happens,
 * so it is the place to check what leaves Assay: file names, paths, formats, sizes, sheet names,
 * column names, row counts, the chat's questions and earlier code, never cell values (the
 * request has no field for them, and extra fields are rejected).
 *
 * Names are written as JSON strings (with `<`, `>` and `&` escaped as well), so a column called
 * "ignore previous instructions" reads as the name of a column.
 *
 * @throws CodegenFailedError when `request` is not a valid {@link CodegenRequest}
 * @example
 * const { system, user } = buildPrompt({ question: 'Total sales by region?', files, history: [] });
 */
export function buildPrompt(request: CodegenRequest): Prompt {
  const checked = parseCodegenRequest(request);
  const sections = [filesSection(checked.files)];
  if (checked.history.length > 0) sections.push(historySection(checked.history));
  sections.push(`# Question\n${checked.question.trim()}`);
  return { system: SYSTEM_PROMPT, user: sections.join('\n\n') };
}

function filesSection(files: CodegenFile[]): string {
  if (files.length === 0) {
    return '# Attached files\nNo files are attached to this chat.';
  }
  const lines = [
    '# Attached files',
    `${files.length} ${files.length === 1 ? 'file' : 'files'}. Metadata only: the values are in the kernel, not here.`,
  ];
  files.forEach((file, fileIndex) => {
    lines.push('', `## File ${fileIndex + 1}`, jsonText(fileSummary(file)));
    file.sheets.forEach((sheet, sheetIndex) => {
      const listed = sheet.headers.slice(0, MAX_COLUMNS_LISTED);
      const shown = listed.map(shorten);
      const hidden = sheet.headers.length - listed.length;
      const cut = [sheet.name, ...listed].filter((name) => name.length > MAX_NAME_CHARS).length;
      const size = { rowCount: sheet.rowCount, columnCount: sheet.headers.length };
      lines.push(
        // A CSV/TSV file is one table; its "sheet" name is only a label, so it is left out.
        file.format === 'csv' || file.format === 'tsv'
          ? `Table: ${jsonText(size)}`
          : `Sheet ${sheetIndex + 1} of ${file.sheets.length}: ${jsonText({ name: shorten(sheet.name), ...size })}`,
        `Columns: ${jsonText(shown)}`,
      );
      if (hidden > 0) {
        lines.push(`(${hidden} more columns are not listed; read their names from the DataFrame's columns.)`);
      }
      if (cut > 0) {
        lines.push(`(Names ending in "${CUT_MARK}" are cut short here; read the full names from the workbook or the DataFrame's columns.)`);
      }
    });
  });
  return lines.join('\n');
}

function fileSummary(file: CodegenFile): Record<string, string | number> {
  const summary: Record<string, string | number> = {
    name: file.name,
    path: file.path,
    format: file.format,
    sizeBytes: file.sizeBytes,
  };
  if (file.delimiter !== undefined) summary['delimiter'] = file.delimiter;
  if (file.encoding !== undefined) summary['encoding'] = file.encoding;
  return summary;
}

function historySection(history: CodegenHistoryEntry[]): string {
  // Walk from the newest message back, so the oldest are the ones left out.
  const kept: string[] = [];
  let used = 0;
  for (let index = history.length - 1; index >= 0; index -= 1) {
    const entry = history[index];
    if (entry === undefined) continue;
    const text = historyEntryText(entry, index + 1);
    if (kept.length > 0 && used + text.length > MAX_HISTORY_CHARS) break;
    kept.unshift(text);
    used += text.length;
  }
  const omitted = history.length - kept.length;
  const lines = [
    '# Notebook so far',
    'Code written for earlier messages of this chat, oldest first. It ran in this chat\'s kernel, so what it defined normally still exists.',
  ];
  if (omitted > 0) {
    lines.push(`(${omitted} earlier ${omitted === 1 ? 'message is' : 'messages are'} left out; their variables may exist too.)`);
  }
  return [lines.join('\n'), ...kept].join('\n\n');
}

function historyEntryText(entry: CodegenHistoryEntry, number: number): string {
  const code = entry.cells.filter((cell) => cell.kind === 'code' && cell.source.trim().length > 0);
  const parts = [`## Message ${number}`, `Question: ${jsonText(entry.question)}`];
  if (code.length === 0) {
    parts.push('(No code cells.)');
  } else {
    for (const cell of code) parts.push(fenced(cell.source));
  }
  return parts.join('\n');
}

/** A Markdown code fence longer than any run of backticks inside the code. */
function fenced(source: string): string {
  const longestRun = Math.max(0, ...Array.from(source.matchAll(/`+/g), (match) => match[0].length));
  const fence = '`'.repeat(Math.max(3, longestRun + 1));
  return `${fence}python\n${source.replace(/\s+$/, '')}\n${fence}`;
}

const CUT_MARK = '…';

function shorten(name: string): string {
  return name.length > MAX_NAME_CHARS ? `${name.slice(0, MAX_NAME_CHARS)}${CUT_MARK}` : name;
}

/**
 * JSON text that cannot be mistaken for markup around it: `<`, `>` and `&` become `\u003c`,
 * `\u003e` and `\u0026`, and line/paragraph separators are escaped, all still valid JSON.
 */
function jsonText(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
