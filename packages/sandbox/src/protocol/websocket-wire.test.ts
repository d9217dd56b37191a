import { describe, expect, it } from '@jest/globals';
import { createMessage } from './messages';
import { decodeWebSocketMessage, encodeWebSocketMessage, parseWebSocketFrame } from './websocket-wire';

/** A stream message as jupyter-server 1.23 sends it on the WebSocket (extra top-level fields included). */
function serverStream(text: string): Record<string, unknown> {
  const header = { msg_id: 'k1_2', msg_type: 'stream', username: 'username', session: 'k1', date: '2026-01-01T00:00:00.000000Z', version: '5.3' };
  return {
    header,
    msg_id: header.msg_id,
    msg_type: 'stream',
    parent_header: { ...header, msg_id: 'request-1', msg_type: 'execute_request' },
    metadata: {},
    content: { name: 'stdout', text },
    buffers: [],
    channel: 'iopub',
  };
}

/** The binary framing jupyter-server writes for a message with buffers. */
function binaryFrame(json: string, buffers: Buffer[]): Buffer {
  const parts = [Buffer.from(json), ...buffers];
  const table = Buffer.alloc(4 * (parts.length + 1));
  table.writeUInt32BE(parts.length, 0);
  let offset = table.length;
  parts.forEach((part, index) => {
    table.writeUInt32BE(offset, 4 * (index + 1));
    offset += part.length;
  });
  return Buffer.concat([table, ...parts]);
}

describe('encodeWebSocketMessage()', () => {
  it('writes one JSON text frame with the channel of the request', () => {
    const msg = createMessage({
      msgType: 'execute_request',
      content: { code: 'print("数据")', silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: false },
      session: 's1',
    });
    const encoded = encodeWebSocketMessage(msg);
    expect(typeof encoded).toBe('string');
    expect(JSON.parse(String(encoded))).toEqual({
      channel: 'shell',
      header: msg.header,
      parent_header: {},
      metadata: {},
      content: msg.content,
      buffers: [],
    });
  });

  it('uses the binary framing when the message has buffers, which decoding reverses', () => {
    const msg = { ...createMessage({ msgType: 'interrupt_request', content: {}, session: 's1' }), buffers: [Buffer.from([0, 1, 2])] };
    const encoded = encodeWebSocketMessage(msg);
    expect(Buffer.isBuffer(encoded)).toBe(true);
    const parsed = parseWebSocketFrame(Buffer.from(encoded), true);
    expect(parsed.ok && parsed.frame.envelope.channel).toBe('control');
    expect(parsed.ok && parsed.frame.buffers).toEqual([Buffer.from([0, 1, 2])]);
  });
});

describe('decodeWebSocketMessage()', () => {
  it('validates a server message and keeps its unicode text', () => {
    const decoded = decodeWebSocketMessage(Buffer.from(JSON.stringify(serverStream('héllo ✓\n'))), false);
    expect(decoded.ok).toBe(true);
    if (decoded.ok) {
      expect(decoded.message.channel).toBe('iopub');
      expect(decoded.message.content).toEqual({ name: 'stdout', text: 'héllo ✓\n' });
    }
  });

  it('reads the JSON part and the buffers of a binary frame', () => {
    const decoded = decodeWebSocketMessage(binaryFrame(JSON.stringify(serverStream('x')), [Buffer.from('abc')]), true);
    expect(decoded.ok && decoded.message.buffers).toEqual([Buffer.from('abc')]);
  });

  it('reports messages of the stdin channel as an unknown type, to be ignored', () => {
    const decoded = decodeWebSocketMessage(Buffer.from(JSON.stringify({ ...serverStream('x'), channel: 'stdin' })), false);
    expect(decoded).toEqual({ ok: false, reason: 'channel stdin is not used', unknownType: true });
  });

  it('drops frames that are not JSON, lack a channel, or have a broken offset table', () => {
    expect(decodeWebSocketMessage(Buffer.from('not json'), false)).toMatchObject({ ok: false, reason: 'frame is not JSON' });
    const { channel: _channel, ...withoutChannel } = serverStream('x');
    expect(decodeWebSocketMessage(Buffer.from(JSON.stringify(withoutChannel)), false)).toMatchObject({ ok: false, reason: 'frame has no channel' });
    const broken = binaryFrame('{}', []);
    broken.writeUInt32BE(9_999, 4);
    expect(decodeWebSocketMessage(broken, true)).toMatchObject({ ok: false, reason: 'malformed binary frame' });
    expect(decodeWebSocketMessage(Buffer.from([0, 0]), true)).toMatchObject({ ok: false, reason: 'malformed binary frame' });
  });

  it('drops a message whose content does not match its type', () => {
    const bad = { ...serverStream('x'), content: { name: 'stdout' } };
    expect(decodeWebSocketMessage(Buffer.from(JSON.stringify(bad)), false)).toMatchObject({ ok: false, unknownType: false });
  });
});
