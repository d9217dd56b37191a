/**
 * The part of @20minutes/s3rver (which ships no types) that tests/support/s3-test-server.ts uses.
 * S3rver is a Koa application.
 */
declare module '@20minutes/s3rver' {
  import type { AddressInfo } from 'node:net';

  namespace S3rver {
    interface Options {
      address?: string;
      port?: number;
      directory?: string;
      silent?: boolean;
      vhostBuckets?: boolean;
      configureBuckets?: { name: string; configs?: string[] }[];
    }
    /** The bit of Koa's context a middleware here reads and sets. */
    interface Context {
      method: string;
      path: string;
      query: Record<string, string | string[] | undefined>;
      status: number;
    }
    type Middleware = (ctx: Context, next: () => Promise<unknown>) => Promise<unknown>;
  }

  class S3rver {
    constructor(options: S3rver.Options);

    /** Koa's middleware list, composed when the server starts. */
    middleware: S3rver.Middleware[];
    run(): Promise<AddressInfo>;
    close(): Promise<void>;
    /** Koa's error event: every error a request ended with, and that request's context. */
    on(event: 'error', listener: (error: unknown, ctx?: { method?: string; url?: string }) => void): this;
  }

  export = S3rver;
}
