/**
 * CSI sequences (colours, cursor moves: ESC [ params final) and OSC sequences (titles,
 * hyperlinks: ESC ] ... BEL or ESC \). Kernels run with colours off; this catches what
 * libraries print anyway.
 */
const ANSI_PATTERN = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)/g;

/** Removes ANSI escape sequences, so tracebacks read the same in JSON, logs and the browser. */
export function stripAnsi(text: string): string {
  return text.replace(ANSI_PATTERN, '');
}
