import { z } from 'zod';

/** A first-row value's Python type (see `LabelType`); numbers travel as their Python repr. */
const XlsLabel = z.discriminatedUnion('type', [
  z.object({ type: z.literal('str') }),
  z.object({ type: z.literal('other') }),
  z.object({ type: z.literal('int'), value: z.string().regex(/^-?\d+$/) }),
  z.object({ type: z.literal('float'), value: z.string() }),
  z.object({ type: z.literal('datetime'), inTimestampRange: z.boolean() }),
]);

/** One first-row cell as the XLS script reports it (see `HeaderCell`). */
const XlsHeaderCell = z.union([
  z.object({ empty: z.literal(true) }),
  z.object({ empty: z.literal(false), key: z.string(), text: z.string(), label: XlsLabel }),
]);
export type XlsHeaderCell = z.infer<typeof XlsHeaderCell>;

/** One sheet as the XLS script reports it. */
const XlsSheetReport = z.object({
  name: z.string(),
  nrows: z.number().int().nonnegative(),
  ncols: z.number().int().nonnegative(),
  header: z.array(XlsHeaderCell),
});

/** The JSON line the XLS script prints: the subprocess is a boundary, so it is validated. */
export const XlsReport = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), sheets: z.array(XlsSheetReport) }),
  z.object({ ok: z.literal(false), reason: z.enum(['encrypted', 'corrupt', 'memory', 'environment']), detail: z.string() }),
]);
export type XlsReport = z.infer<typeof XlsReport>;
