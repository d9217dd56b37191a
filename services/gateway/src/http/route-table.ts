import type { Express } from 'express';

/** One route an express app serves: an upper-case method and an express path (`/v1/chats/:chatId`). */
export interface RouteEntry {
  method: string;
  path: string;
}

/**
 * Every (method, path) the app serves, read from express's router stacks (mounted routers
 * included), so that tests and the OpenAPI check cover routes nobody remembered to list.
 * Middleware-only layers (`app.use(fn)`) are not routes and are skipped.
 */
export function routeTable(app: Express): RouteEntry[] {
  const found = new Map<string, RouteEntry>();
  walk(stackOf((app as unknown as { router?: unknown }).router), '', found);
  return [...found.values()].sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
}

interface LayerLike {
  rawPath?: unknown;
  route?: { path?: unknown; methods?: Record<string, boolean> };
  handle?: unknown;
}

function walk(stack: LayerLike[], prefix: string, found: Map<string, RouteEntry>): void {
  for (const layer of stack) {
    if (layer.route) {
      for (const path of pathsOf(layer.route.path)) {
        for (const [method, enabled] of Object.entries(layer.route.methods ?? {})) {
          if (!enabled || method === '_all') continue;
          const entry = { method: method.toUpperCase(), path: join(prefix, path) };
          found.set(`${entry.method} ${entry.path}`, entry);
        }
      }
      continue;
    }
    const nested = stackOf(layer.handle);
    if (nested.length === 0) continue;
    for (const path of pathsOf(layer.rawPath)) walk(nested, join(prefix, path), found);
  }
}

function stackOf(router: unknown): LayerLike[] {
  if ((typeof router !== 'function' && typeof router !== 'object') || router === null) return [];
  const stack: unknown = (router as { stack?: unknown }).stack;
  return Array.isArray(stack) ? (stack as LayerLike[]) : [];
}

function pathsOf(raw: unknown): string[] {
  if (typeof raw === 'string') return [raw];
  if (Array.isArray(raw)) return raw.filter((item): item is string => typeof item === 'string');
  return [];
}

function join(prefix: string, path: string): string {
  const joined = `${prefix}/${path}`.replace(/\/+/g, '/');
  return joined.length > 1 ? joined.replace(/\/$/, '') : joined;
}
