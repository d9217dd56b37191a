import { z } from 'zod';

/**
 * Every resource id is a UUID (version 7, so ids sort by creation time).
 * A string that is not a UUID cannot name a resource; routes answer 404 for it.
 */
export const ResourceId = z.uuid();
export type ResourceId = z.infer<typeof ResourceId>;

/** Timestamps cross boundaries as ISO 8601 strings in UTC. */
export const Timestamp = z.iso.datetime({ offset: true });
export type Timestamp = z.infer<typeof Timestamp>;

/** A failure as stored on a file or a message and sent to clients. */
export const Failure = z.object({
  code: z.string(),
  message: z.string(),
});
export type Failure = z.infer<typeof Failure>;
