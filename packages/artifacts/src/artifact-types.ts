/**
 * The kinds of files kept as artifacts, by extension, with the content type they are served
 * with. Anything else a cell writes (caches, pickles, scripts) stays in the workspace only.
 */
export const ARTIFACT_TYPES: Readonly<Record<string, string>> = Object.freeze({
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  xls: 'application/vnd.ms-excel',
  csv: 'text/csv',
  tsv: 'text/tab-separated-values',
  pdf: 'application/pdf',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  svg: 'image/svg+xml',
  json: 'application/json',
  txt: 'text/plain',
  parquet: 'application/vnd.apache.parquet',
});

/** The content type of an artifact file, or undefined when files of its kind are not kept. */
export function artifactTypeOf(relativePath: string): string | undefined {
  const name = relativePath.slice(relativePath.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return undefined;
  return ARTIFACT_TYPES[name.slice(dot + 1).toLowerCase()];
}
