import { AssayError, ErrorCode, UnavailableError, isAssayError } from '@assay/errors';

/** Node's codes for a server that cannot be reached at all (nothing was said by S3). */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);

/** S3 error codes that mean "these credentials may not do this" (each server picks its own). */
const CREDENTIAL_CODES = new Set(['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied', 'InvalidToken', 'ExpiredToken']);

/** S3 error codes that mean "the bucket lives in another region than the one requests are signed for". */
const REGION_CODES = new Set(['AuthorizationHeaderMalformed', 'PermanentRedirect', 'IllegalLocationConstraintException']);

/** Where a failure happened, for messages that name the endpoint and bucket. */
export interface S3Place {
  endpoint: string;
  bucket: string;
}

/** The `code` of an error from Node or from minio (which copies S3's `<Code>`), if any. */
export function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Explains a failure of the S3 connection to the operator who configured it: an unreachable
 * endpoint is UNAVAILABLE (retryable: the server may come up), refused credentials are
 * CONFIG_INVALID (retrying will not help). Used where the configuration is checked (start-up
 * and readiness); anything else is returned as it is.
 */
export function describeS3Failure(error: unknown, place: S3Place): unknown {
  if (isAssayError(error)) return error;
  const code = errorCode(error);
  if (code !== undefined && NETWORK_CODES.has(code)) {
    return new UnavailableError(
      `The S3 endpoint ${place.endpoint} is not reachable (${code}): check ASSAY_S3_ENDPOINT and that the server is running.`,
      { cause: error, details: { endpoint: place.endpoint } },
    );
  }
  if (code !== undefined && CREDENTIAL_CODES.has(code)) {
    return new AssayError(
      ErrorCode.CONFIG_INVALID,
      `The S3 endpoint ${place.endpoint} refused the credentials for bucket "${place.bucket}" (${code}): check ASSAY_S3_ACCESS_KEY and ASSAY_S3_SECRET_KEY, and that the key may read, write and (once) create the bucket.`,
      { cause: error, details: { endpoint: place.endpoint, bucket: place.bucket, s3Code: code } },
    );
  }
  if (code !== undefined && REGION_CODES.has(code)) {
    return new AssayError(
      ErrorCode.CONFIG_INVALID,
      `The S3 endpoint ${place.endpoint} says bucket "${place.bucket}" is in another region (${code}): set ASSAY_S3_REGION to the bucket's region.`,
      { cause: error, details: { endpoint: place.endpoint, bucket: place.bucket, s3Code: code } },
    );
  }
  return error;
}

/**
 * A failure while serving a request (upload, download): a person using the API cannot fix the
 * storage, so an unreachable store is a plain retryable 503 without configuration hints.
 */
export function describeRuntimeFailure(error: unknown): unknown {
  if (isAssayError(error)) return error;
  const code = errorCode(error);
  if (code !== undefined && NETWORK_CODES.has(code)) {
    return new UnavailableError('File storage is not reachable right now; try again in a moment.', { cause: error });
  }
  return error;
}
