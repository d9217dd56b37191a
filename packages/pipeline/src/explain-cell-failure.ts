import type { Failure } from '@assay/contracts';
import { ErrorCode } from '@assay/errors';

/** What a failed cell raised: nbformat `ename` and `evalue`. */
export interface CellErrorSummary {
  name: string;
  value: string;
}

/** Longest exception message quoted in a failure; tracebacks of huge values would drown the point. */
const MAX_ERROR_VALUE_CHARS = 500;

/**
 * What common Python and pandas exceptions usually mean in a generated analysis, for people
 * who do not read tracebacks. Keyed by exception class name.
 */
const PLAIN_WORDS: Record<string, string> = {
  KeyError: 'the code asked for a column or key that does not exist in the data (check the spelling and case of column names).',
  NameError: 'the code used a variable or function that was never defined (an earlier cell may not have run, or the name is misspelt).',
  AttributeError: 'the code used a method or property that this kind of value does not have.',
  TypeError: 'an operation was given a kind of value it cannot work with, for example text where a number was expected.',
  ValueError: 'a value had the right type but an unusable content, for example text that cannot be read as a number or date.',
  IndexError: 'the code asked for a position past the end of a list or table.',
  ZeroDivisionError: 'the code divided by zero.',
  FileNotFoundError: 'the code opened a file that is not there; attached files are under /mnt/data with their uploaded names.',
  ModuleNotFoundError: 'the code imported a Python library that is not installed in the sandbox.',
  ImportError: 'the code imported something that is not available in the installed libraries.',
  SyntaxError: 'the code is not valid Python, so it could not start.',
  IndentationError: 'the code is not valid Python (its indentation is wrong), so it could not start.',
  UnicodeDecodeError: 'a file was read with the wrong text encoding.',
  ParserError: 'pandas could not split a file into rows and columns (the delimiter or quoting is not what was expected).',
  EmptyDataError: 'a file had no data to read.',
  MemoryError: 'the computation needed more memory than the sandbox allows.',
  RecursionError: 'a function called itself too many times.',
  PermissionError: 'the code tried to write where it may not; new files belong under /mnt/data.',
  OSError: 'an operating-system operation failed (a file, a network call or a resource the sandbox does not offer).',
  TimeoutError: 'the cell ran longer than the time a cell may take.',
  KernelDied: 'the Python process stopped (often because it ran out of memory), so its variables are gone.',
};

/**
 * The failure a message ends with when one of its cells failed: the exception as Python named
 * it (so a developer recognises it), followed by what it means in plain words. Timeouts and
 * kernel deaths keep their own error codes.
 */
export function explainCellFailure(position: number, error: CellErrorSummary | undefined): Failure {
  if (error === undefined) return { code: ErrorCode.INTERNAL, message: `Cell ${position} failed.` };
  const cut = error.value.trim().length > MAX_ERROR_VALUE_CHARS ? `${error.value.trim().slice(0, MAX_ERROR_VALUE_CHARS)}…` : error.value.trim();
  // One full stop after the quoted message, whether or not Python's message ends with one.
  const value = /[.!?…]$/.test(cut) || cut.length === 0 ? cut : `${cut}.`;
  const meaning = PLAIN_WORDS[error.name];
  const plain = meaning === undefined ? '' : ` In plain words: ${meaning}`;
  if (error.name === 'TimeoutError') return { code: ErrorCode.CELL_TIMEOUT, message: `Cell ${position} timed out: ${value}${plain}` };
  if (error.name === 'KernelDied') return { code: ErrorCode.KERNEL_DIED, message: `Cell ${position} stopped the kernel: ${value}${plain}` };
  return { code: ErrorCode.CELL_ERROR, message: `Cell ${position} raised ${error.name}${value.length > 0 ? `: ${value}` : '.'}${plain}` };
}
