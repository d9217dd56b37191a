import { TextDecoder } from 'node:util';
import { XmlScanError } from './xml-scanner';

const UTF8 = new TextDecoder('utf-8', { fatal: true });

const PREDEFINED: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', apos: "'", quot: '"' };

/** Characters XML 1.0 does not allow (expat, and so openpyxl, refuses them). */
const INVALID_CHARACTERS = /[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]/;

/**
 * The text an XML parser (expat, under openpyxl) reports for raw character data: UTF-8 decoded,
 * line ends normalised to `\n` (in an attribute value, every literal tab, line end or carriage
 * return becomes a space), character references and the five predefined entities replaced.
 * Anything else after `&` is an error: no DTD is read, so no other entity exists.
 *
 * @throws XmlScanError for invalid UTF-8, characters XML forbids or an unknown entity
 */
export function decodeXmlText(bytes: Uint8Array, attribute = false): string {
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    throw new XmlScanError('it is not valid UTF-8');
  }
  if (INVALID_CHARACTERS.test(text)) throw new XmlScanError('it holds a character XML does not allow');
  if (attribute) text = text.replace(/\r\n|[\t\n\r]/g, ' ');
  else if (text.includes('\r')) text = text.replace(/\r\n?/g, '\n');
  if (!text.includes('&')) return text;
  let out = '';
  let from = 0;
  for (let at = text.indexOf('&'); at !== -1; at = text.indexOf('&', from)) {
    const end = text.indexOf(';', at);
    if (end === -1) throw new XmlScanError('it has an & that starts no entity');
    out += text.slice(from, at) + entityText(text.slice(at + 1, end));
    from = end + 1;
  }
  return out + text.slice(from);
}

/** An attribute value as an XML parser reports it (see {@link decodeXmlText}). */
export function decodeXmlAttribute(bytes: Uint8Array): string {
  return decodeXmlText(bytes, true);
}

function entityText(name: string): string {
  const predefined = PREDEFINED[name];
  if (predefined !== undefined) return predefined;
  const match = /^#(?:x([0-9A-Fa-f]{1,8})|([0-9]{1,10}))$/.exec(name);
  if (match === null) throw new XmlScanError(`it refers to an entity (&${name.slice(0, 20)};) it does not define`);
  const code = match[1] !== undefined ? Number.parseInt(match[1], 16) : Number(match[2]);
  const allowed = code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd) || (code >= 0x10000 && code <= 0x10ffff);
  if (!allowed) throw new XmlScanError('it refers to a character XML does not allow');
  return String.fromCodePoint(code);
}

/**
 * A byte buffer that grows up to a cap, for the few texts a scan keeps (header cells, shared
 * string candidates); reused between texts so that keeping one costs no allocation.
 */
export class TextCapture {
  private bytes: Uint8Array;
  /** Bytes kept so far. */
  length = 0;

  /**
   * @param maxBytes - the most bytes one text may have
   * @param what - what the text is, for the error beyond `maxBytes`
   */
  constructor(
    private readonly maxBytes: number,
    private readonly what: string,
  ) {
    this.bytes = new Uint8Array(64);
  }

  /** Forgets the text. */
  clear(): void {
    this.length = 0;
  }

  /** Appends `source[start, end)`. */
  append(source: Uint8Array, start: number, end: number): void {
    const length = this.length + end - start;
    if (length > this.bytes.length) {
      if (length > this.maxBytes) throw new XmlScanError(`${this.what} is longer than ${this.maxBytes} bytes`, 'too-large');
      const grown = new Uint8Array(Math.min(this.maxBytes, Math.max(length, this.bytes.length * 2)));
      grown.set(this.bytes.subarray(0, this.length));
      this.bytes = grown;
    }
    if (end - start > 32) this.bytes.set(source.subarray(start, end), this.length);
    else for (let k = start, to = this.length; k < end; k += 1, to += 1) this.bytes[to] = source[k] ?? 0;
    this.length = length;
  }

  /** The kept bytes (a view, valid until the next change). */
  view(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }

  /** A copy of the kept bytes. */
  copy(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }

  /**
   * The kept text as a number when it is 1 to 15 ASCII digits (a shared string index, written
   * so by every spreadsheet program), else -1: the fast path that spares decoding a string.
   */
  digits(): number {
    const length = this.length;
    if (length === 0 || length > 15) return -1;
    let value = 0;
    for (let k = 0; k < length; k += 1) {
      const digit = (this.bytes[k] ?? 0) - 0x30;
      if (digit < 0 || digit > 9) return -1;
      value = value * 10 + digit;
    }
    return value;
  }

  /** The kept text, decoded as XML character data. */
  text(): string {
    return decodeXmlText(this.view());
  }
}
