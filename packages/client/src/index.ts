export { AssayClient } from './assay-client';
export type { AssayClientOptions, CreateOptions, PageOptions, ResourcePage } from './assay-client';
export { ChatEventStream } from './chat-event-stream';
export type { ChatEventStreamOptions } from './chat-event-stream';
export { AssayApiError, isAssayApiError } from './api-error';
export type { ApiErrorCode } from './api-error';
