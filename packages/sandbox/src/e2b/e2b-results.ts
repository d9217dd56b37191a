import type { MimeBundle } from '@assay/contracts';
import type { Result as E2bResult } from '@e2b/code-interpreter';

/**
 * E2B's result fields and the MIME types its code-interpreter server read them from
 * (`template/server/api/models/result.py`): the server takes a Jupyter MIME bundle apart into
 * one field per type, and this puts it back together.
 */
const FIELD_MIME_TYPES = [
  ['text', 'text/plain'],
  ['html', 'text/html'],
  ['markdown', 'text/markdown'],
  ['svg', 'image/svg+xml'],
  ['png', 'image/png'],
  ['jpeg', 'image/jpeg'],
  ['pdf', 'application/pdf'],
  ['latex', 'text/latex'],
  ['json', 'application/json'],
  ['javascript', 'application/javascript'],
] as const;

/**
 * The MIME bundle an E2B result was made from, so that it can become an nbformat output and an
 * Assay `Result` like the local backend's.
 *
 * Left out: the formats that E2B's template adds with IPython start-up scripts, `e2b/data` (a
 * full copy of every displayed DataFrame, as lists: unbounded in size) and `e2b/chart` (data
 * extracted from matplotlib figures), so that outputs have the shape and size a plain Jupyter
 * kernel gives. What E2B does not send back cannot be restored: the output's metadata (image
 * sizes), and the quotes around a string's repr in text/plain (`'abc'` arrives as `abc`).
 */
export function mimeBundleOf(result: E2bResult): MimeBundle {
  const bundle: MimeBundle = {};
  for (const [field, mime] of FIELD_MIME_TYPES) {
    const value: unknown = result[field];
    if (value !== undefined && value !== null) bundle[mime] = value;
  }
  // The server sends MIME types without a field of their own (e.g. Plotly's) in `extra`; the
  // SDK keeps that object only in `raw`.
  const extra: unknown = result.raw['extra'];
  if (isRecord(extra)) {
    for (const [mime, value] of Object.entries(extra)) {
      if (!(mime in bundle) && value !== undefined && value !== null) bundle[mime] = value;
    }
  }
  return bundle;
}

/**
 * Traceback lines from the string E2B sends. The server joins IPython's traceback entries
 * without a separator; each entry ends lines with newlines of its own, so splitting on them
 * gives readable lines (and an empty traceback gives none).
 */
export function tracebackLines(traceback: string | undefined): string[] {
  if (traceback === undefined || traceback === '') return [];
  return traceback.replace(/\n$/, '').split('\n');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
