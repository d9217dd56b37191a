/** Parts of a PostgreSQL connection URL the stack builds. */
export interface PostgresUrlParts {
  user: string;
  password: string;
  host: string;
  port: number;
  database: string;
}

/** `postgresql://user:password@host:port/database`, with user and password percent-encoded. */
export function buildPostgresUrl(parts: PostgresUrlParts): string {
  const user = encodeURIComponent(parts.user);
  const password = encodeURIComponent(parts.password);
  return `postgresql://${user}:${password}@${parts.host}:${parts.port}/${encodeURIComponent(parts.database)}`;
}

/** The same server and credentials, another database; query parameters (sslmode, ...) are kept. */
export function withDatabase(databaseUrl: string, database: string): string {
  const url = new URL(databaseUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

/** The database a URL names (PostgreSQL defaults it to the user name when the path is empty). */
export function databaseNameOf(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  return name.length > 0 ? name : decodeURIComponent(url.username);
}

/** The URL with its password replaced, for log lines and messages. */
export function redactUrl(connectionUrl: string): string {
  try {
    const url = new URL(connectionUrl);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '(unparsable URL)';
  }
}
