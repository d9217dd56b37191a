import Papa from 'papaparse';

/** Delimiters tried for a .csv file, in order of preference when they score the same. */
export const CSV_DELIMITER_CANDIDATES = [',', ';', '\t', '|'] as const;

/** Rows of the sample looked at. */
const SAMPLE_ROWS = 100;

/**
 * Picks the delimiter of a .csv file from a leading sample of its text.
 *
 * Each candidate splits the sample (quotes respected); the winner is the one whose rows most
 * often have the same number of fields (at least two), then the one with more fields, then the
 * earlier candidate. A file where no candidate yields two fields is one column wide: `,`.
 *
 * @param sample - leading text with line breaks normalised to `\n`
 * @param complete - whether the sample is the whole file (otherwise its last, possibly cut, line is ignored)
 */
export function sniffDelimiter(sample: string, complete: boolean): string {
  const text = complete ? sample : sample.slice(0, Math.max(0, sample.lastIndexOf('\n')));
  let best: { delimiter: string; share: number; fields: number } | undefined;
  for (const delimiter of CSV_DELIMITER_CANDIDATES) {
    const parsed = Papa.parse<string[]>(text, { delimiter, newline: '\n', quoteChar: '"', preview: SAMPLE_ROWS, skipEmptyLines: 'greedy' });
    const counts = parsed.data.map((row) => row.length);
    if (counts.length === 0) continue;
    const frequency = new Map<number, number>();
    for (const count of counts) frequency.set(count, (frequency.get(count) ?? 0) + 1);
    let modal = 0;
    let modalFrequency = 0;
    for (const [count, times] of frequency) {
      if (times > modalFrequency || (times === modalFrequency && count > modal)) {
        modal = count;
        modalFrequency = times;
      }
    }
    if (modal < 2) continue;
    const share = modalFrequency / counts.length;
    if (best === undefined || share > best.share || (share === best.share && modal > best.fields)) {
      best = { delimiter, share, fields: modal };
    }
  }
  return best?.delimiter ?? ',';
}
