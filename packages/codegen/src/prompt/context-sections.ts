import type { CodegenCellError, CodegenOutputSummary, CodegenRepair, CodegenVariable, PrivacyLevel } from '../types';
import { fenced, jsonText } from './quote';

/** Text outputs are cut to this many characters at privacy level `outputs`. */
export const MAX_OUTPUT_TEXT_CHARS = 2_000;

/** Traceback lines kept (the last ones, nearest the failure). */
export const MAX_TRACEBACK_LINES = 30;

/** Longer traceback lines and error messages are cut to this many characters. */
export const MAX_ERROR_LINE_CHARS = 500;

/** Variables listed; the kernel may hold many more. */
export const MAX_VARIABLES_LISTED = 100;

/** Replaces the content of masked literals. */
export const MASK = '‹masked›';

/** Rough token count of a text: a token is about four characters of English or code. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/**
 * Masks quoted literals ('…', "…") in an error text. Python quotes the offending value in most
 * messages (`KeyError: 'ZEBRA-1'`, `could not convert string to float: '12,5'`), and that value
 * may come from a file; the shape of the message is enough to fix the code.
 */
export function maskLiterals(text: string): string {
  return text.replace(/'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"/g, (literal) => `${literal[0] ?? ''}${MASK}${literal[0] ?? ''}`);
}

/** An exception as the model may see it at `level`: type, message and trimmed traceback. */
export function describeError(error: CodegenCellError, level: PrivacyLevel): string {
  const clean = (line: string) => {
    const plain = stripAnsi(line);
    const text = level === 'outputs' ? plain : maskLiterals(plain);
    return text.length > MAX_ERROR_LINE_CHARS ? `${text.slice(0, MAX_ERROR_LINE_CHARS)}…` : text;
  };
  const traceback = error.traceback
    .flatMap((entry) => stripAnsi(entry).split('\n'))
    .filter((line) => line.trim().length > 0)
    .slice(-MAX_TRACEBACK_LINES)
    .map(clean);
  const lines = [`Exception: ${jsonText(error.name)}`, `Message: ${jsonText(clean(error.value))}`];
  if (level !== 'outputs') lines.push('(Quoted values in the message and traceback are masked: they may come from the data.)');
  if (traceback.length > 0) lines.push('Traceback (last lines):', '```text', ...traceback, '```');
  return lines.join('\n');
}

/** What an earlier cell printed or showed: kind and size, and text only at level `outputs`. */
export function describeOutputs(outputs: CodegenOutputSummary[], level: PrivacyLevel): string {
  if (outputs.length === 0) return 'Outputs: none.';
  const lines = ['Outputs:'];
  for (const output of outputs) {
    const mime = output.mimeTypes !== undefined && output.mimeTypes.length > 0 ? ` ${jsonText(output.mimeTypes)}` : '';
    lines.push(`- ${output.kind}${mime}, ${output.sizeBytes} bytes`);
    if (level === 'outputs' && output.text !== undefined && output.text.length > 0) {
      const text = output.text.length > MAX_OUTPUT_TEXT_CHARS ? `${output.text.slice(0, MAX_OUTPUT_TEXT_CHARS)}\n…(cut)` : output.text;
      lines.push(fencedText(text));
    }
  }
  return lines.join('\n');
}

/** The kernel's variables: name, type, shape; dtypes from level `schema` on. */
export function describeVariables(variables: CodegenVariable[], level: PrivacyLevel): string {
  const listed = variables.slice(0, MAX_VARIABLES_LISTED).map((variable) => {
    const entry: Record<string, unknown> = { name: variable.name, type: variable.type };
    if (variable.shape !== undefined) entry['shape'] = variable.shape;
    if (level !== 'metadata' && variable.dtypes !== undefined) entry['dtypes'] = variable.dtypes;
    return jsonText(entry);
  });
  const lines = ['# Variables in the kernel', 'Defined now by earlier cells (name, type, shape; never values):', ...listed];
  if (variables.length > listed.length) lines.push(`(${variables.length - listed.length} more are not listed.)`);
  return lines.join('\n');
}

/** The repair instruction: the notebook just written, the failing cell and its error. */
export function repairSection(repair: CodegenRepair, level: PrivacyLevel): string {
  const lines = [
    `# Repair (attempt ${repair.attempt})`,
    'The notebook written for the question above failed. Its cells, in order:',
  ];
  repair.cells.forEach((cell, index) => {
    const mark = index === repair.failingCellIndex ? ' (FAILED)' : index < repair.failingCellIndex ? ' (ran)' : ' (not run yet)';
    lines.push(`## Cell ${index + 1}, ${cell.kind}${mark}`, cell.kind === 'code' ? fenced(cell.source) : fencedText(cell.source));
  });
  lines.push(
    `## Error of cell ${repair.failingCellIndex + 1}`,
    describeError(repair.error, level),
    '',
    `Call the tool with the cells that replace cell ${repair.failingCellIndex + 1} only: fixed code (a short markdown cell first may say what changed). ` +
      'The cells before it already ran, so their variables exist; the cells after it run after yours.',
  );
  return lines.join('\n');
}

function fencedText(text: string): string {
  const longestRun = Math.max(0, ...Array.from(text.matchAll(/`+/g), (match) => match[0].length));
  const fence = '`'.repeat(Math.max(3, longestRun + 1));
  return `${fence}text\n${text.replace(/\s+$/, '')}\n${fence}`;
}

function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*[A-Za-z]/g, '');
}
