/**
 * Redis names of a chat's event log. The `{chatId}` hash tag keeps a chat's keys in one slot,
 * so the publish script also works on Redis Cluster.
 */
export function chatEventKeys(prefix: string, chatId: string): { stream: string; sequence: string; channel: string } {
  const base = `${prefix}:events:{${chatId}}`;
  return { stream: base, sequence: `${base}:seq`, channel: base };
}
