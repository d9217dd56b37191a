export { main, ExitCode } from './main';
export type { CommandStreams } from './main';
export { inspectCommand } from './inspect-command';
export type { InspectCommandOptions } from './inspect-command';
export { InspectReport } from './inspect-report';
