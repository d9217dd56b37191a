import { describe, expect, it } from '@jest/globals';
import { parseClientFrame } from './ws';

const chatId = '01937a4e-2b7c-7d3e-9a4f-0c1d2e3f4a5b';

describe('parseClientFrame', () => {
  it('accepts a subscribe frame with and without a resume position', () => {
    expect(parseClientFrame(JSON.stringify({ version: 'v1', type: 'subscribe', payload: { chatId } }))).toEqual({
      success: true,
      frame: { version: 'v1', type: 'subscribe', payload: { chatId } },
    });
    const resumed = parseClientFrame(JSON.stringify({ version: 'v1', type: 'subscribe', payload: { chatId, after: 41 } }));
    expect(resumed.success && resumed.frame.type === 'subscribe' && resumed.frame.payload.after).toBe(41);
  });

  it('accepts a ping without payload', () => {
    expect(parseClientFrame('{"version":"v1","type":"ping"}').success).toBe(true);
  });

  it.each([
    ['not json', 'Frames must be JSON'],
    ['{"type":"subscribe"}', 'needs "version", "type"'],
    ['{"version":"v2","type":"ping"}', 'Unsupported protocol version "v2"'],
    ['{"version":"v1","type":"shout","payload":{}}', 'Unknown frame type "shout"; expected one of subscribe, unsubscribe, ping'],
    ['{"version":"v1","type":"subscribe","payload":{"chatId":"nope"}}', 'Invalid "subscribe" frame'],
    [`{"version":"v1","type":"subscribe","payload":{"chatId":"${chatId}","after":-1}}`, 'Invalid "subscribe" frame'],
  ])('rejects %s with a precise message', (text, message) => {
    const result = parseClientFrame(text);
    expect(result.success).toBe(false);
    if (!result.success) {
      expect(result.error.code).toBe('VALIDATION_FAILED');
      expect(result.error.message).toContain(message);
    }
  });
});
