import { createHmac, randomUUID } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import type { ExecuteReplyContent, KernelMessage, MessageType } from './messages';
import { createMessage } from './messages';
import { DELIMITER, decodeMessage, encodeMessage, signFrames } from './wire';

const key = Buffer.from('0f1e2d3c4b5a69788796a5b4c3d2e1f0');

/** A message as the kernel would send it, answering `parentId`. */
function kernelMessage<T extends MessageType>(
  msgType: T,
  channel: KernelMessage<T>['channel'],
  content: KernelMessage<T>['content'],
  parentId = randomUUID(),
): KernelMessage<T> {
  const header = (id: string, type: string) => ({
    msg_id: id,
    msg_type: type,
    session: 'kernel-session',
    username: 'kernel',
    date: '2026-01-01T00:00:00.000000Z',
    version: '5.3',
  });
  return {
    channel,
    header: { ...header(randomUUID(), msgType), msg_type: msgType },
    parent_header: header(parentId, 'execute_request'),
    metadata: {},
    content,
    buffers: [],
  };
}

describe('encodeMessage()', () => {
  it('signs header, parent_header, metadata and content with HMAC-SHA256 after the delimiter', () => {
    const msg = createMessage({ msgType: 'kernel_info_request', content: {}, session: 's1' });
    const frames = encodeMessage(msg, key);
    expect(frames[0]?.toString()).toBe(DELIMITER);
    const hmac = createHmac('sha256', key);
    for (const frame of frames.slice(2, 6)) hmac.update(frame);
    expect(frames[1]?.toString()).toBe(hmac.digest('hex'));
    expect(JSON.parse(frames[2]?.toString() ?? '')).toEqual(msg.header);
    expect(JSON.parse(frames[3]?.toString() ?? '')).toEqual({});
    expect(JSON.parse(frames[5]?.toString() ?? '')).toEqual({});
  });

  it('keeps non-ASCII text intact', () => {
    const msg = createMessage({
      msgType: 'execute_request',
      content: { code: 'print("héllo ✓ 数据")', silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: false },
      session: 's1',
    });
    const decoded = JSON.parse(encodeMessage(msg, key)[5]?.toString('utf8') ?? '') as { code: string };
    expect(decoded.code).toBe('print("héllo ✓ 数据")');
  });
});

describe('decodeMessage()', () => {
  const stream = kernelMessage('stream', 'iopub', { name: 'stdout', text: 'héllo\n' });

  it('accepts a signed message and validates its content', () => {
    const result = decodeMessage('iopub', encodeMessage(stream, key), key);
    expect(result).toEqual({ ok: true, message: { ...stream, buffers: [] } });
  });

  it('skips routing identities and a topic before the delimiter, and keeps buffers', () => {
    const frames = [Buffer.from('identity'), Buffer.from('kernel.stream'), ...encodeMessage(stream, key), Buffer.from([1, 2, 3])];
    const result = decodeMessage('iopub', frames, key);
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.message.buffers).toEqual([Buffer.from([1, 2, 3])]);
  });

  it('drops a message signed with another key', () => {
    const frames = encodeMessage(stream, Buffer.from('another key'));
    expect(decodeMessage('iopub', frames, key)).toMatchObject({ ok: false, reason: 'bad signature' });
  });

  it('drops a message whose content was changed after signing', () => {
    const frames = encodeMessage(stream, key);
    frames[5] = Buffer.from(JSON.stringify({ name: 'stdout', text: 'tampered' }));
    expect(decodeMessage('iopub', frames, key)).toMatchObject({ ok: false, reason: 'bad signature' });
  });

  it('drops frames without a delimiter, too few frames, and frames that are not JSON', () => {
    const frames = encodeMessage(stream, key);
    expect(decodeMessage('iopub', frames.slice(1), key)).toMatchObject({ ok: false, reason: 'no <IDS|MSG> delimiter' });
    expect(decodeMessage('iopub', frames.slice(0, 5), key)).toMatchObject({ ok: false, reason: 'too few frames' });
    const notJson = [Buffer.from('{'), Buffer.from('{}'), Buffer.from('{}'), Buffer.from('{}')];
    expect(decodeMessage('iopub', [Buffer.from(DELIMITER), Buffer.from(signFrames(key, notJson)), ...notJson], key)).toMatchObject({
      ok: false,
      reason: 'frame is not JSON',
    });
  });

  it('drops content that does not match the schema of its msg_type', () => {
    const bad = kernelMessage('stream', 'iopub', { name: 'stdout', text: 'x' });
    const frames = encodeMessage({ ...bad, content: { name: 'stdlog', text: 'x' } as unknown as typeof bad.content }, key);
    const result = decodeMessage('iopub', frames, key);
    expect(result).toMatchObject({ ok: false, unknownType: false });
    if (!result.ok) expect(result.reason).toContain('invalid stream content');
  });

  it('drops a message on a channel its type does not travel on', () => {
    expect(decodeMessage('shell', encodeMessage(stream, key), key)).toMatchObject({
      ok: false,
      reason: 'stream is not expected on shell',
    });
  });

  it('reports message types Assay does not use as unknown', () => {
    const comm = { ...stream, header: { ...stream.header, msg_type: 'comm_open' } } as unknown as typeof stream;
    expect(decodeMessage('iopub', encodeMessage(comm, key), key)).toEqual({
      ok: false,
      reason: 'unknown msg_type comm_open',
      unknownType: true,
    });
  });

  it('accepts the three shapes of execute_reply', () => {
    const replies: ExecuteReplyContent[] = [
      { status: 'ok', execution_count: 3, user_expressions: {} },
      { status: 'error', ename: 'ValueError', evalue: 'bad', traceback: ['line'], execution_count: 4 },
      { status: 'aborted' },
    ];
    for (const content of replies) {
      const reply = kernelMessage('execute_reply', 'shell', content);
      const result = decodeMessage('shell', encodeMessage(reply, key), key);
      expect(result.ok).toBe(true);
    }
  });
});
