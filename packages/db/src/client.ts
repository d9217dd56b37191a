import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/prisma/client.js';

export type { PrismaClient };

/** Options of {@link createPrismaClient}. */
export interface PrismaClientOptions {
  /**
   * Connections the pool may open.
   * @defaultValue 10
   */
  maxConnections?: number;
}

/**
 * Creates the Prisma client of a process. Prisma 7's client has no query engine binary: it
 * talks to PostgreSQL through the `pg` driver adapter.
 *
 * @param databaseUrl - `postgresql://user:password@host:port/database`
 */
export function createPrismaClient(databaseUrl: string, options: PrismaClientOptions = {}): PrismaClient {
  const adapter = new PrismaPg({ connectionString: databaseUrl, max: options.maxConnections ?? 10 });
  return new PrismaClient({ adapter });
}
