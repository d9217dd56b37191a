export { installShutdownHandler } from './shutdown';
export type { ShutdownOptions, ShutdownStep } from './shutdown';
export { runService } from './run-service';
