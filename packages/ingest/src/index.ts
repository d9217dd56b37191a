export { formatFromFileName } from './file-format';
export { UploadSniffer } from './upload/upload-sniffer';
export type { UploadSnifferOptions, UploadVerdict } from './upload/upload-sniffer';
export type { ContentKind } from './content/content-kind';
export { inspectFile } from './inspect/inspect-file';
export type { InspectFileOptions } from './inspect/inspect-file';
export { DEFAULT_INSPECT_LIMITS } from './inspect/inspect-limits';
export type { InspectLimits } from './inspect/inspect-limits';
export { DEFAULT_SAMPLE_BYTES } from './consts';
