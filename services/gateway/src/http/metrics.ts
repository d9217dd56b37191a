import type { ServiceMetrics } from '@assay/metrics';
import type { Request, RequestHandler } from 'express';

/** A path segment that is an id (UUID, or long hex/digits) rather than part of a route's name. */
const ID_SEGMENT = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{16,}|\d+)$/i;

/**
 * Records every request's latency in `assay_http_request_duration_seconds`, labelled by route
 * template (`/v1/chats/:id/cells/:cellId/run`), never by the concrete path, so ids do not create
 * a series each. Requests no route matched are labelled `unmatched`.
 */
export function httpMetrics(metrics: ServiceMetrics): RequestHandler {
  return (req, res, next) => {
    const stopTimer = metrics.httpRequestDuration.startTimer();
    res.once('finish', () => {
      stopTimer({ route: routeTemplate(req), method: req.method, status: String(res.statusCode) });
    });
    next();
  };
}

/** `GET /metrics`: the gateway's series in Prometheus' text format (no API key: keep it off the public ingress). */
export function metricsRoute(metrics: ServiceMetrics): RequestHandler {
  return async (_req, res) => {
    const { contentType, body } = await metrics.scrape();
    res.setHeader('Content-Type', contentType);
    res.send(body);
  };
}

/**
 * The matched route's template. Express keeps the template of the last router's route
 * (`req.route.path`) but only the concrete path of the routers above it (`req.baseUrl`), whose
 * id segments are replaced by `:id`.
 */
function routeTemplate(req: Request): string {
  const route: unknown = req.route;
  const path = typeof route === 'object' && route !== null && 'path' in route ? (route as { path: unknown }).path : undefined;
  if (typeof path !== 'string') return 'unmatched';
  const base = req.baseUrl
    .split('/')
    .map((segment) => (ID_SEGMENT.test(segment) ? ':id' : segment))
    .join('/');
  const template = `${base}${path === '/' ? '' : path}`;
  return template === '' ? '/' : template;
}
