import { randomUUID } from 'node:crypto';
import type { Logger } from '@assay/logger';
import type { RequestHandler } from 'express';

/** Requests whose ids are accepted from the client, as sent by proxies and SDKs. */
const REQUEST_ID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;

/**
 * One log line per request once it is answered: method, path, status, duration and, for
 * authenticated requests, the tenant. Each request gets an id (the client's `X-Request-Id` when
 * well-formed), returned in the `X-Request-Id` response header to correlate reports with logs.
 */
export function accessLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const offered = req.get('x-request-id');
    const requestId = offered !== undefined && REQUEST_ID_PATTERN.test(offered) ? offered : randomUUID();
    res.setHeader('X-Request-Id', requestId);
    const started = performance.now();
    res.on('finish', () => {
      const tenantId: unknown = res.locals.principal === undefined ? undefined : (res.locals.principal as { tenantId?: unknown }).tenantId;
      const fields = {
        requestId,
        method: req.method,
        path: req.path,
        status: res.statusCode,
        durationMs: Math.round(performance.now() - started),
        ...(typeof tenantId === 'string' ? { tenantId } : {}),
      };
      if (res.statusCode >= 500) logger.error(fields, 'request failed');
      else logger.info(fields, 'request');
    });
    next();
  };
}
