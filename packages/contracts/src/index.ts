export { Failure, ResourceId, Timestamp } from './ids';
export { FileFormat, FileMetadata, FileResource, FileStatus, SheetMetadata } from './files';
export {
  Cell,
  CellDraft,
  CellKind,
  CellOutput,
  CellStatus,
  DisplayDataOutput,
  ErrorOutput,
  ExecuteResultOutput,
  MimeBundle,
  StreamOutput,
} from './notebook';
export {
  ChatResource,
  CreateChatBody,
  CreateMessageBody,
  MessageResource,
  MessageStatus,
  TERMINAL_MESSAGE_STATUSES,
} from './chats';
export { ArtifactResource } from './artifacts';
export { InsertCellBody, NotebookOperationResource, UpdateCellBody, Variable, VariablesResource } from './kernel';
export {
  ArtifactCreatedEvent,
  CellCompletedEvent,
  CellCreatedEvent,
  CellDeletedEvent,
  CellUpdatedEvent,
  KernelRestartedEvent,
  OutputsClearedEvent,
  VariablesUpdatedEvent,
  CellOutputEvent,
  CellStartedEvent,
  ChatEvent,
  CodegenDeltaEvent,
  FileIngestedEvent,
  MessageAcceptedEvent,
  MessageCompletedEvent,
  MessageFailedEvent,
  SessionRestoredEvent,
  RepairStartedEvent,
  RepairCompletedEvent,
  isChatEventOfType,
} from './events';
export type { ChatEventInput, ChatEventOf, ChatEventType } from './events';
export { ErrorBody } from './errors';
export {
  BatchItemBody,
  BatchItemResource,
  BatchResource,
  BatchStatus,
  ChatSummaryResource,
  CreateBatchBody,
  JobKind,
  JobResource,
  JobStatus,
  ListQuery,
  MAX_BATCH_ITEMS,
  MAX_PAGE_LIMIT,
  Page,
  QuotaUsageResource,
  UsageResource,
} from './rest';
export {
  ApiKeyResource,
  CreateApiKeyBody,
  CreateTenantBody,
  CreatedApiKeyResource,
  TenantLimitsBody,
  TenantResource,
  UpdateTenantBody,
} from './admin';
export {
  ClientFrame,
  ErrorFrame,
  EventFrame,
  PingFrame,
  PongFrame,
  ServerFrame,
  SubscribeFrame,
  SubscribedFrame,
  UnsubscribeFrame,
  UnsubscribedFrame,
  WS_PROTOCOL_VERSION,
  parseClientFrame,
} from './ws';
export type { FrameParseResult } from './ws';
