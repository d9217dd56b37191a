import { Writable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { createLogger } from './index';

/** A destination that keeps the JSON lines written to it. */
function capture(): { lines: Array<Record<string, unknown>>; stream: Writable } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      callback();
    },
  });
  return { lines, stream };
}

describe('createLogger', () => {
  it('writes JSON lines with the service name, a word level, an ISO time and the context ids', () => {
    const { lines, stream } = capture();
    const logger = createLogger({ name: 'gateway', destination: stream });
    logger.child({ tenantId: 't1', chatId: 'c1' }).info({ jobId: 'j1' }, 'job completed');
    expect(lines[0]).toMatchObject({ service: 'gateway', level: 'info', tenantId: 't1', chatId: 'c1', jobId: 'j1', msg: 'job completed' });
    expect(Number.isNaN(Date.parse(String(lines[0]?.time)))).toBe(false);
  });

  it('redacts secrets wherever they appear', () => {
    const { lines, stream } = capture();
    const logger = createLogger({ name: 'test', destination: stream });
    logger.info({ apiKey: 'assay_secret', headers: { authorization: 'Bearer assay_secret' }, config: { password: 'pw' } }, 'x');
    const line = JSON.stringify(lines[0]);
    expect(line).not.toContain('assay_secret');
    expect(line).not.toContain('"pw"');
    expect(lines[0]).toMatchObject({ apiKey: '[redacted]', headers: { authorization: '[redacted]' }, config: { password: '[redacted]' } });
  });

  it('honours the level', () => {
    const { lines, stream } = capture();
    createLogger({ name: 'test', level: 'warn', destination: stream }).info('quiet');
    expect(lines).toEqual([]);
  });
});
