import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from '@jest/globals';
import { presentedApiKey } from './auth';

const request = (headers: Record<string, string>, url = '/v1/chats') => ({ headers, url }) as unknown as IncomingMessage;

describe('presentedApiKey', () => {
  it('reads a bearer token, whatever the case of the scheme', () => {
    expect(presentedApiKey(request({ authorization: 'Bearer assay_abc' }), { allowQuery: false })).toBe('assay_abc');
    expect(presentedApiKey(request({ authorization: 'bearer   assay_abc ' }), { allowQuery: false })).toBe('assay_abc');
  });

  it('answers "" for a header of another form, so the error can say so', () => {
    expect(presentedApiKey(request({ authorization: 'Basic dXNlcjpwdw==' }), { allowQuery: false })).toBe('');
    expect(presentedApiKey(request({ authorization: 'Bearer a b' }), { allowQuery: false })).toBe('');
  });

  it('reads api_key from the query only where allowed (the WebSocket upgrade)', () => {
    const withQuery = request({}, '/v1/ws?api_key=assay_q');
    expect(presentedApiKey(withQuery, { allowQuery: true })).toBe('assay_q');
    expect(presentedApiKey(withQuery, { allowQuery: false })).toBeUndefined();
    expect(presentedApiKey(request({}), { allowQuery: true })).toBeUndefined();
  });
});
