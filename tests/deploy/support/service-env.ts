import { z } from 'zod';
import { CodegenWorkerEnv } from '../../../services/codegen-worker/src/env';
import { ExecutorWorkerEnv } from '../../../services/executor-worker/src/env';
import { GatewayEnv } from '../../../services/gateway/src/env';
import { IngestWorkerEnv } from '../../../services/ingest-worker/src/env';

/** The four services; each is a Dockerfile target, a compose service and a Kubernetes container. */
export const SERVICES = ['gateway', 'ingest-worker', 'codegen-worker', 'executor-worker'] as const;
export type ServiceName = (typeof SERVICES)[number];

/** Every Dockerfile target the deployment files run: the services and the migration. */
export const TARGETS = [...SERVICES, 'migrate'] as const;
export type TargetName = (typeof TARGETS)[number];

/** The services that read or write blobs: each needs the storage settings (StorageEnv). */
export const BLOB_STORE_SERVICES: readonly ServiceName[] = ['gateway', 'ingest-worker', 'executor-worker'];

/**
 * The services that must share one data volume when blobs are files (ASSAY_STORAGE=local): the
 * same three. With S3 only the executor keeps a volume (its kernels' workspaces).
 */
export const DATA_VOLUME_SERVICES: readonly ServiceName[] = BLOB_STORE_SERVICES;

/**
 * The env schema each target parses at start-up. The services' are their own (zod 4 keeps
 * `.shape` on an object after `.superRefine`); the migration is the Prisma CLI, which reads
 * DATABASE_URL through prisma.config.ts.
 */
export const ENV_SCHEMAS: Record<TargetName, z.ZodObject> = {
  gateway: GatewayEnv,
  'ingest-worker': IngestWorkerEnv,
  'codegen-worker': CodegenWorkerEnv,
  'executor-worker': ExecutorWorkerEnv,
  migrate: z.object({ DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }) }),
};

/** Variable names the target's schema reads. */
export function knownVariables(target: TargetName): string[] {
  return Object.keys(ENV_SCHEMAS[target].shape);
}

/** Variables without a default: the process refuses to start without them. */
export function requiredVariables(target: TargetName): string[] {
  const shape: Record<string, z.ZodType> = ENV_SCHEMAS[target].shape;
  return Object.entries(shape)
    .filter(([, schema]) => !schema.safeParse(undefined).success)
    .map(([name]) => name);
}

/** The target's own verdict on an environment: the same parse the process does at start-up. */
export function parseServiceEnv(target: TargetName, env: Record<string, string>): { success: boolean; problems: string[] } {
  const result = ENV_SCHEMAS[target].safeParse(env);
  if (result.success) return { success: true, problems: [] };
  return { success: false, problems: result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`) };
}
