/* Quoting of text taken from users' files and code, so that it reads as data. */

/** A Markdown code fence longer than any run of backticks inside the code. */
export function fenced(source: string): string {
  const longestRun = Math.max(0, ...Array.from(source.matchAll(/`+/g), (match) => match[0].length));
  const fence = '`'.repeat(Math.max(3, longestRun + 1));
  return `${fence}python\n${source.replace(/\s+$/, '')}\n${fence}`;
}

/**
 * JSON text that cannot be mistaken for markup around it: `<`, `>` and `&` become `\u003c`,
 * `\u003e` and `\u0026`, and line/paragraph separators are escaped, all still valid JSON.
 */
export function jsonText(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
