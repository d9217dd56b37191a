export { MessagePipeline } from './message-pipeline';
export type { MessagePipelineOptions } from './message-pipeline';
