export { MessagePipeline } from './message-pipeline';
export type { MessagePipelineOptions } from './message-pipeline';
export { connectPipeline } from './pipeline-connections';
export type { PipelineConnectionOptions, PipelineConnections } from './pipeline-connections';
export { explainCellFailure } from './explain-cell-failure';
export type { CellErrorSummary } from './explain-cell-failure';
