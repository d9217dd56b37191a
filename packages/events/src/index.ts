export { ChatEventLog } from './chat-event-log';
export type { ChatEventLogOptions } from './chat-event-log';
export { ChatEventSubscriber } from './chat-event-subscriber';
export type { ChatEventFeed, ChatEventSubscriberOptions } from './chat-event-subscriber';
export { KernelControl, KernelSignal } from './kernel-control';
export type { KernelControlOptions } from './kernel-control';
export { SessionEntry, SessionRegistry } from './session-registry';
export type { SessionRegistryOptions } from './session-registry';
