import { spawn } from 'node:child_process';
import fs from 'node:fs';
import readline from 'node:readline';
import type { Readable } from 'node:stream';
import { createLogger, type Logger } from '@assay/logger';
import { ManagedProcess, type ProcessExit } from '../process/managed-process';
import { stopOrphanProcess } from '../process/process-info';
import { createLogLineFormatter, type LogLineFormatter } from './log-line-formatter';

/** A process for the supervisor to run. */
export interface SupervisedProcessSpec {
  /** Shown in front of every line it prints and in reports (e.g. "gateway"). */
  name: string;
  /** Program to run (e.g. `process.execPath`). */
  command: string;
  /** Its arguments. @defaultValue [] */
  args?: readonly string[];
  /** Its environment. @defaultValue this process's */
  env?: NodeJS.ProcessEnv;
  /** Its working directory. @defaultValue this process's */
  cwd?: string;
}

/** How a supervised process ended. */
export interface ChildExitReport extends ProcessExit {
  name: string;
  pid: number | undefined;
  /** Why it could not be started, when it could not. */
  spawnError?: string;
  /** The last lines it printed, to show next to the report. */
  lastLines: string[];
}

/** What {@link ProcessSupervisor.stop} did to one process. */
export interface ChildStopReport extends ProcessExit {
  name: string;
  pid: number | undefined;
  /** True when it ignored SIGTERM past the deadline and was killed. */
  killed: boolean;
}

/** Options of {@link ProcessSupervisor}. */
export interface ProcessSupervisorOptions {
  /** Receives the supervisor's own messages. @defaultValue a silent logger */
  logger?: Logger;
  /** Where the children's formatted output goes. @defaultValue process.stdout */
  output?: { write(text: string): unknown };
  /** Formats each line a child prints. @defaultValue createLogLineFormatter() (no colours) */
  formatLine?: LogLineFormatter;
  /** Time children get between SIGTERM and SIGKILL when the supervisor stops them. @defaultValue 10_000 */
  stopTimeoutMs?: number;
  /**
   * Called once for each child that exits while the supervisor is not stopping: a crash, or a
   * service that ended although it should run until stopped. The supervisor never restarts it.
   */
  onUnexpectedExit?: (exit: ChildExitReport) => void;
  /**
   * File in which the supervisor records its children's pids while they run, so that the next
   * run can stop children orphaned by a supervisor that was killed ({@link stopOrphanedChildren}).
   */
  pidFile?: string;
  /** Lines kept per child for {@link ChildExitReport.lastLines}. @defaultValue 30 */
  lastLinesKept?: number;
}

interface Child {
  spec: SupervisedProcessSpec;
  process: ManagedProcess;
  lastLines: string[];
  outputClosed: Promise<void>;
}

interface PidRecord {
  name: string;
  pid: number;
  argv: string[];
}

/** After a child exits, its last output may still be in the pipes: wait this long for it. */
const OUTPUT_DRAIN_MS = 500;

/**
 * Runs named child processes (the services of `npm start`), shows their output line by line
 * with their name in front, reports any that exits on its own, and stops them all with a
 * deadline. Each child gets its own process group, so a terminal's Ctrl-C reaches only the
 * supervisor, which then stops the children in order.
 *
 * @example
 * const supervisor = new ProcessSupervisor({ logger, onUnexpectedExit: (exit) => shutdown(1) });
 * supervisor.start({ name: 'gateway', command: process.execPath, args: ['services/gateway/dist/main.js'], env });
 * await supervisor.stop();
 */
export class ProcessSupervisor {
  private readonly children: Child[] = [];
  private readonly logger: Logger;
  private readonly output: { write(text: string): unknown };
  private readonly formatLine: LogLineFormatter;
  private readonly stopTimeoutMs: number;
  private readonly lastLinesKept: number;
  private stopping: Promise<ChildStopReport[]> | undefined;

  constructor(private readonly options: ProcessSupervisorOptions = {}) {
    this.logger = options.logger ?? createLogger({ name: 'devstack', level: 'silent' });
    this.output = options.output ?? process.stdout;
    this.formatLine = options.formatLine ?? createLogLineFormatter();
    this.stopTimeoutMs = options.stopTimeoutMs ?? 10_000;
    this.lastLinesKept = options.lastLinesKept ?? 30;
  }

  /** Names and pids of the children still running. */
  get running(): Array<{ name: string; pid: number | undefined }> {
    return this.children.filter((child) => child.process.running).map((child) => ({ name: child.spec.name, pid: child.process.pid }));
  }

  /** Starts a child. Throws when the supervisor is stopping. */
  start(spec: SupervisedProcessSpec): { name: string; pid: number | undefined } {
    if (this.stopping) throw new Error(`Cannot start ${spec.name}: the supervisor is stopping.`);
    const childProcess = spawn(spec.command, spec.args ?? [], {
      cwd: spec.cwd,
      env: spec.env ?? process.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const child: Child = {
      spec,
      process: new ManagedProcess(childProcess, true),
      lastLines: [],
      outputClosed: new Promise((resolve) => childProcess.once('close', () => resolve())),
    };
    let spawnError: string | undefined;
    childProcess.once('error', (error) => {
      spawnError = error.message;
    });
    this.forwardOutput(child, childProcess.stdout);
    this.forwardOutput(child, childProcess.stderr);
    this.children.push(child);
    this.writePidFile();
    this.logger.info(`started ${spec.name} (pid ${String(childProcess.pid)})`);

    void child.process.exited.then(async (exit) => {
      await Promise.race([child.outputClosed, new Promise((resolve) => setTimeout(resolve, OUTPUT_DRAIN_MS))]);
      if (child.process.isStopping || this.stopping) return;
      this.writePidFile();
      const report: ChildExitReport = {
        name: spec.name,
        pid: child.process.pid,
        code: exit.code,
        signal: exit.signal,
        lastLines: [...child.lastLines],
        ...(spawnError === undefined ? {} : { spawnError }),
      };
      this.logger.error(
        { code: exit.code, signal: exit.signal },
        spawnError === undefined
          ? `${spec.name} exited on its own (${describeExit(exit)}); it is not restarted`
          : `${spec.name} could not be started: ${spawnError}`,
      );
      this.options.onUnexpectedExit?.(report);
    });
    return { name: spec.name, pid: childProcess.pid };
  }

  /**
   * Stops every child: SIGTERM, then SIGKILL (to its whole process group) for those still
   * running after `stopTimeoutMs`. Calling it again returns the same promise.
   */
  stop(): Promise<ChildStopReport[]> {
    this.stopping ??= this.runStop();
    return this.stopping;
  }

  private async runStop(): Promise<ChildStopReport[]> {
    const reports = await Promise.all(
      this.children.map(async (child): Promise<ChildStopReport> => {
        const wasRunning = child.process.running;
        const result = await child.process.stop([{ signal: 'SIGTERM', waitMs: this.stopTimeoutMs }]);
        await Promise.race([child.outputClosed, new Promise((resolve) => setTimeout(resolve, OUTPUT_DRAIN_MS))]);
        const killed = wasRunning && result.forced;
        if (killed) this.logger.warn(`${child.spec.name} did not stop within ${this.stopTimeoutMs} ms and was killed`);
        else if (wasRunning) this.logger.info(`${child.spec.name} stopped`);
        return { name: child.spec.name, pid: child.process.pid, code: result.code, signal: result.signal, killed };
      }),
    );
    if (this.options.pidFile) fs.rmSync(this.options.pidFile, { force: true });
    return reports;
  }

  private forwardOutput(child: Child, stream: Readable | null): void {
    if (!stream) return;
    const lines = readline.createInterface({ input: stream, crlfDelay: Infinity });
    lines.on('line', (line) => {
      child.lastLines.push(line);
      if (child.lastLines.length > this.lastLinesKept) child.lastLines.shift();
      this.output.write(this.formatLine(child.spec.name, line));
    });
  }

  private writePidFile(): void {
    if (!this.options.pidFile) return;
    const records: PidRecord[] = this.children
      .filter((child) => child.process.running && child.process.pid !== undefined)
      .map((child) => ({
        name: child.spec.name,
        pid: child.process.pid ?? 0,
        argv: [child.spec.command, ...(child.spec.args ?? [])],
      }));
    fs.writeFileSync(this.options.pidFile, `${JSON.stringify(records, null, 2)}\n`, { mode: 0o600 });
  }
}

function describeExit(exit: ProcessExit): string {
  return exit.signal === null ? `exit code ${String(exit.code)}` : `signal ${exit.signal}`;
}

/**
 * Stops children recorded in a supervisor's pid file that are still running because that
 * supervisor was killed before it could stop them. Only processes whose command line is still
 * the recorded one are touched. The file is removed afterwards.
 *
 * @returns names of the processes stopped
 */
export async function stopOrphanedChildren(pidFile: string, options: { logger: Logger; timeoutMs?: number }): Promise<string[]> {
  let records: PidRecord[];
  try {
    records = JSON.parse(fs.readFileSync(pidFile, 'utf8')) as PidRecord[];
  } catch {
    return [];
  }
  const stopped = await Promise.all(
    (Array.isArray(records) ? records : []).map(async (record) => {
      const matched = await stopOrphanProcess(record.pid, {
        matches: (argv) => argv.join('\0') === record.argv.join('\0'),
        description: record.name,
        logger: options.logger,
        timeoutMs: options.timeoutMs ?? 10_000,
      });
      return matched ? record.name : undefined;
    }),
  );
  fs.rmSync(pidFile, { force: true });
  return stopped.filter((name): name is string => name !== undefined);
}
