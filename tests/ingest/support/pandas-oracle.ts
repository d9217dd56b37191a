import { z } from 'zod';
import { runPython } from './python';

/** What pandas reports for one table: the values inspectFile must equal. */
export const PandasSheet = z.object({ name: z.string(), headers: z.array(z.string()), rowCount: z.number().int() });
export type PandasSheet = z.infer<typeof PandasSheet>;

const ORACLE = String.raw`
import json, sys
path, fmt, sep, encoding, name = sys.argv[1:6]
if fmt == "xls":
    # pandas 1.5 asks for xlrd >= 2.0.1; Debian 12 ships 1.2.0, which reads .xls the same way.
    import pandas.compat._optional as optional
    optional.VERSIONS["xlrd"] = "1.2.0"
import pandas as pd
if fmt in ("csv", "tsv"):
    frames = {name: pd.read_csv(path, sep=sep, encoding=encoding)}
elif fmt == "xlsx":
    frames = pd.read_excel(path, sheet_name=None)
else:
    frames = pd.read_excel(path, sheet_name=None, engine="xlrd")
print(json.dumps([{"name": key, "headers": [str(c) for c in frame.columns], "rowCount": len(frame)} for key, frame in frames.items()]))
`;

/**
 * Reads a file with the real pandas 1.5.3 of the kernel environment: `read_csv(path, sep=,
 * encoding=)` for CSV/TSV (one table, named `csvName`), `read_excel(sheet_name=None)` for
 * workbooks, and reports each table's column names (`str()` of each) and row count.
 */
export async function readWithPandas(
  path: string,
  format: 'csv' | 'tsv' | 'xlsx' | 'xls',
  csv: { delimiter?: string; encoding?: string; name?: string } = {},
): Promise<PandasSheet[]> {
  const out = await runPython(ORACLE, [path, format, csv.delimiter ?? ',', csv.encoding ?? 'utf-8', csv.name ?? '']);
  return z.array(PandasSheet).parse(JSON.parse(out));
}

/** The outcome of one `read_csv` in a batch: the table, or the pandas exception. */
export type PandasCsvOutcome = { ok: true; headers: string[]; rowCount: number } | { ok: false; error: string };

const BATCH_ORACLE = String.raw`
import json, sys, warnings
import pandas as pd
warnings.simplefilter("ignore")
results = []
for item in json.load(sys.stdin):
    try:
        frame = pd.read_csv(item["path"], sep=item["delimiter"], encoding=item["encoding"])
        results.append({"ok": True, "headers": [str(c) for c in frame.columns], "rowCount": len(frame)})
    except Exception as error:
        results.append({"ok": False, "error": type(error).__name__ + ": " + str(error).strip()[:200]})
print(json.dumps(results))
`;

const PandasCsvOutcome = z.union([
  z.object({ ok: z.literal(true), headers: z.array(z.string()), rowCount: z.number().int() }),
  z.object({ ok: z.literal(false), error: z.string() }),
]);

/** Reads many CSV files with `pandas.read_csv` in one Python process (for randomised tests). */
export async function readManyCsvWithPandas(
  items: ReadonlyArray<{ path: string; delimiter: string; encoding: string }>,
): Promise<PandasCsvOutcome[]> {
  const out = await runPython(BATCH_ORACLE, [], JSON.stringify(items));
  return z.array(PandasCsvOutcome).parse(JSON.parse(out));
}
