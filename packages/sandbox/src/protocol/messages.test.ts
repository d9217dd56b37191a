import { describe, expect, it } from '@jest/globals';
import type { AnyKernelMessage } from './messages';
import { PROTOCOL_VERSION, createMessage, isMessageType, parentMsgId, validateMessage } from './messages';

describe('createMessage()', () => {
  it('fills msg_id, session, date and version, and picks the channel from the type', () => {
    const before = Date.now();
    const msg = createMessage({ msgType: 'interrupt_request', content: {}, session: 'session-1' });
    expect(msg.channel).toBe('control');
    expect(msg.header).toMatchObject({ msg_type: 'interrupt_request', session: 'session-1', username: 'assay', version: PROTOCOL_VERSION });
    expect(msg.header.msg_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.parse(msg.header.date)).toBeGreaterThanOrEqual(before);
    expect(msg.parent_header).toEqual({});
    expect(createMessage({ msgType: 'kernel_info_request', content: {}, session: 's' }).channel).toBe('shell');
  });

  it('gives every message its own msg_id unless one is given', () => {
    const a = createMessage({ msgType: 'kernel_info_request', content: {}, session: 's' });
    const b = createMessage({ msgType: 'kernel_info_request', content: {}, session: 's' });
    expect(a.header.msg_id).not.toBe(b.header.msg_id);
    expect(createMessage({ msgType: 'kernel_info_request', content: {}, session: 's', msgId: 'fixed' }).header.msg_id).toBe('fixed');
  });
});

describe('validateMessage()', () => {
  const header = { msg_id: 'm1', msg_type: 'status', session: 's', username: 'u', date: 'd', version: '5.3' };

  it('accepts a message without a parent (an empty parent_header)', () => {
    const result = validateMessage('iopub', {
      header,
      parent_header: {},
      metadata: {},
      content: { execution_state: 'starting' },
      buffers: [],
    });
    expect(result.ok).toBe(true);
    if (result.ok) expect(parentMsgId(result.message)).toBeUndefined();
  });

  it('rejects a header with missing fields', () => {
    const { msg_id: _dropped, ...withoutId } = header;
    expect(
      validateMessage('iopub', { header: withoutId, parent_header: {}, metadata: {}, content: {}, buffers: [] }),
    ).toMatchObject({ ok: false, reason: 'invalid header' });
  });

  it('accepts the shutdown_reply ipykernel broadcasts on iopub, and an interrupt_reply without status', () => {
    const shutdown = validateMessage('iopub', {
      header: { ...header, msg_type: 'shutdown_reply' },
      parent_header: {},
      metadata: {},
      content: { status: 'ok', restart: false },
      buffers: [],
    });
    expect(shutdown.ok).toBe(true);
    const interrupt = validateMessage('control', {
      header: { ...header, msg_type: 'interrupt_reply' },
      parent_header: {},
      metadata: {},
      content: {},
      buffers: [],
    });
    expect(interrupt.ok).toBe(true);
  });
});

describe('isMessageType()', () => {
  it('narrows a message by msg_type', () => {
    const result = validateMessage('iopub', {
      header: { msg_id: 'm2', msg_type: 'stream', session: 's', username: 'u', date: 'd', version: '5.3' },
      parent_header: { msg_id: 'p1', msg_type: 'execute_request', session: 's', username: 'u', date: 'd', version: '5.3' },
      metadata: {},
      content: { name: 'stderr', text: 'warning\n' },
      buffers: [],
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const msg: AnyKernelMessage = result.message;
    expect(isMessageType(msg, 'status')).toBe(false);
    expect(isMessageType(msg, 'stream')).toBe(true);
    if (isMessageType(msg, 'stream')) expect(msg.content.name).toBe('stderr');
    expect(parentMsgId(msg)).toBe('p1');
  });
});
