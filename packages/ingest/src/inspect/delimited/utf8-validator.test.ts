import { TextDecoder } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import { Utf8Validator } from './utf8-validator';

/** Validates `bytes` pushed in pieces cut at the given offsets. */
function validate(bytes: Buffer, cuts: readonly number[]): boolean {
  const validator = new Utf8Validator();
  let start = 0;
  let valid = true;
  for (const end of [...cuts, bytes.length]) {
    const piece = Buffer.from(bytes.subarray(start, end));
    valid = validator.push(piece) && valid;
    piece.fill(0xff);
    start = end;
  }
  return validator.end() && valid;
}

/** What Python's strict utf-8 codec (and a fatal TextDecoder) decide. */
function strictlyValid(bytes: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s/g, ''), 'hex');

describe('Utf8Validator', () => {
  it.each([
    ['ASCII', Buffer.from('a,b\n1,2\n')],
    ['2-, 3- and 4-byte characters', Buffer.from('ä€😀x€ä😀')],
    ['a lone continuation byte', hex('61 80 62')],
    ['an overlong form', hex('61 c0 80')],
    ['an overlong 3-byte form', hex('e0 80 80')],
    ['a UTF-16 surrogate', hex('ed a0 80')],
    ['a code point above U+10FFFF', hex('f4 90 80 80')],
    ['a byte that never occurs', hex('61 ff')],
    ['a sequence cut by the end', hex('61 e2 82')],
    ['a lead byte followed by ASCII', hex('e2 61 62 63')],
    ['Windows-1252 text', Buffer.from('caf\xe9 \x80\n', 'latin1')],
  ])('agrees with a strict decoder wherever %s is cut', (_name, bytes) => {
    const expected = strictlyValid(bytes);
    for (let a = 0; a <= bytes.length; a += 1) {
      for (let b = a; b <= bytes.length; b += 1) expect({ cuts: [a, b], valid: validate(bytes, [a, b]) }).toEqual({ cuts: [a, b], valid: expected });
    }
    expect(validate(bytes, [...bytes.keys()].slice(1))).toBe(expected);
  });

  it('stays invalid once invalid', () => {
    const validator = new Utf8Validator();
    expect(validator.push(hex('61 80'))).toBe(false);
    expect(validator.push(Buffer.from('valid'))).toBe(false);
    expect(validator.isValid).toBe(false);
    expect(validator.end()).toBe(false);
  });
});
