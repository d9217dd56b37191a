import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CellDraft } from '@assay/contracts';
import { SYSTEM_PYTHON, runProcess } from './python';

/** What happened to one code cell. */
export interface CellRun {
  /** Position among all cells (markdown included). */
  index: number;
  source: string;
  /** stdout and stderr of the cell, including displayed objects' text. */
  output: string;
  /** `ExceptionName: message` when the cell raised (or did not compile). */
  error: string | null;
  /** Figures the cell left open (Jupyter's inline backend shows and closes them after the cell). */
  figures: number;
  /** Visible axes with something drawn, over those figures. */
  plottedAxes: number;
}

/**
 * Runs cells in order in one IPython shell (the interpreter behind ipykernel: same display(),
 * same last-expression echo, same shared namespace) under bubblewrap, with `dataDir` mounted at
 * /mnt/data, no network, a private /tmp and matplotlib's Agg backend.
 */
export async function runNotebookInSandbox(cells: CellDraft[], dataDir: string, timeoutMs = 180_000): Promise<CellRun[]> {
  const runnerDir = await mkdtemp(join(tmpdir(), 'assay-codegen-runner-'));
  try {
    await writeFile(join(runnerDir, 'cells.json'), JSON.stringify(cells));
    await writeFile(join(runnerDir, 'run_cells.py'), RUNNER);
    const result = await runProcess(
      '/usr/bin/bwrap',
      [
        '--ro-bind', '/usr', '/usr',
        '--symlink', 'usr/bin', '/bin',
        '--symlink', 'usr/lib', '/lib',
        '--symlink', 'usr/lib64', '/lib64',
        '--ro-bind', '/etc', '/etc',
        '--proc', '/proc',
        '--dev', '/dev',
        '--tmpfs', '/tmp',
        '--bind', dataDir, '/mnt/data',
        '--ro-bind', runnerDir, '/opt/assay-runner',
        '--setenv', 'MPLBACKEND', 'Agg',
        '--setenv', 'HOME', '/tmp',
        '--unshare-all',
        '--die-with-parent',
        SYSTEM_PYTHON, '/opt/assay-runner/run_cells.py', '/opt/assay-runner/cells.json',
      ],
      { timeoutMs },
    );
    const marker = result.stdout.lastIndexOf(REPORT_MARKER);
    if (result.exitCode !== 0 || marker < 0) {
      throw new Error(`the notebook runner failed (${result.exitCode ?? result.signal}):\n${result.stderr}\n${result.stdout}`);
    }
    return JSON.parse(result.stdout.slice(marker + REPORT_MARKER.length)) as CellRun[];
  } finally {
    await rm(runnerDir, { recursive: true, force: true });
  }
}

const REPORT_MARKER = '@@ASSAY-CELL-REPORT@@';

const RUNNER = String.raw`
import contextlib
import io
import json
import sys

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

config = Config()
config.HistoryManager.enabled = False
shell = InteractiveShell.instance(config=config)

with open(sys.argv[1], encoding="utf-8") as handle:
    cells = json.load(handle)

report = []
for index, cell in enumerate(cells):
    if cell["kind"] != "code":
        continue
    captured = io.StringIO()
    with contextlib.redirect_stdout(captured), contextlib.redirect_stderr(captured):
        result = shell.run_cell(cell["source"], store_history=False)
    error = result.error_before_exec or result.error_in_exec
    figures = [plt.figure(number) for number in plt.get_fignums()]
    plotted = sum(1 for figure in figures for axes in figure.axes if axes.get_visible() and axes.has_data())
    plt.close("all")
    report.append({
        "index": index,
        "source": cell["source"],
        "output": captured.getvalue(),
        "error": None if error is None else type(error).__name__ + ": " + str(error),
        "figures": len(figures),
        "plottedAxes": plotted,
    })

sys.stdout.write("${REPORT_MARKER}" + json.dumps(report))
`;
