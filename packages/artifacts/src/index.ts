export { ARTIFACT_TYPES, artifactTypeOf } from './artifact-types';
export { WorkspaceSnapshot } from './workspace-snapshot';
export type { ChangedFile, SnapshotOptions } from './workspace-snapshot';
export { selectArtifacts } from './select-artifacts';
export type { ArtifactCandidate, ArtifactLimits, ArtifactSelection } from './select-artifacts';
