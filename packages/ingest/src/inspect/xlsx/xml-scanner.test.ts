import { describe, expect, it } from '@jest/globals';
import { type XmlScanHandler, XmlScanError, XmlScanner } from './xml-scanner';
import { decodeXmlText } from './xml-text';

const ELEMENTS = ['row', 'c', 'v'];
const ATTRIBUTES = ['r', 't'];

/** Scans `xml` fed in the given chunks and lists what the scanner reported. */
function events(chunks: readonly Buffer[]): string[] {
  const log: string[] = [];
  let text: number[] = [];
  const flush = (): void => {
    if (text.length > 0) log.push(`text ${JSON.stringify(decodeXmlText(Buffer.from(text)))}`);
    text = [];
  };
  const handler: XmlScanHandler = {
    wantAttributes: true,
    wantText: true,
    open(name, depth) {
      flush();
      const attributes = ATTRIBUTES.map((attribute, index) => {
        const raw = scanner.rawAttribute(index);
        return raw === undefined ? '' : ` ${attribute}=${JSON.stringify(decodeXmlText(raw, true))}`;
      }).join('');
      log.push(`open ${name} ${depth}${attributes}`);
    },
    close(name, depth) {
      flush();
      log.push(`close ${name} ${depth}`);
    },
    text(bytes, start, end) {
      for (let k = start; k < end; k += 1) text.push(bytes[k] ?? 0);
    },
  };
  const scanner = new XmlScanner(ELEMENTS, ATTRIBUTES, handler);
  for (const chunk of chunks) scanner.write(chunk);
  scanner.end();
  flush();
  return log;
}

function splitAt(bytes: Buffer, ...cuts: number[]): Buffer[] {
  const chunks: Buffer[] = [];
  let from = 0;
  for (const cut of cuts) {
    chunks.push(bytes.subarray(from, cut));
    from = cut;
  }
  chunks.push(bytes.subarray(from));
  return chunks;
}

const DOCUMENT = Buffer.from(
  '\ufeff<?xml version="1.0" encoding="UTF-8"?>\n<!-- a <comment> -->' +
    '<x:sheet xmlns:x="urn:x"><x:row r="1" spans=\'1:2\' note="a>b"><c r="A1" t="s"><v>12</v></c>' +
    '<c r="B&#49;" t="inlineStr"><is><t>caf\u00e9 &amp; <![CDATA[<raw> ]] ]]>\r\nend</t></is></c><c/></x:row>' +
    '<?pi with > inside?><row><c><v><!-- skipped -->7</v></c></row>\n</x:sheet>\n<!-- after -->\n',
);

describe('XmlScanner', () => {
  const whole = events([DOCUMENT]);

  it('reports elements by local name, attributes, text, CDATA, and skips comments and instructions', () => {
    expect(whole).toEqual([
      'open -1 1',
      'open 0 2 r="1"',
      'open 1 3 r="A1" t="s"',
      'open 2 4',
      'text "12"',
      'close 2 4',
      'close 1 3',
      'open 1 3 r="B1" t="inlineStr"',
      'open -1 4',
      'open -1 5',
      'text "café & <raw> ]] \\nend"',
      'close -1 5',
      'close -1 4',
      'close 1 3',
      'open 1 3',
      'close 1 3',
      'close 0 2',
      'open 0 2',
      'open 1 3',
      'open 2 4',
      'text "7"',
      'close 2 4',
      'close 1 3',
      'close 0 2',
      'text "\\n"',
      'close -1 1',
    ]);
  });

  it('reports the same whatever the chunks: every split in two, and one byte at a time', () => {
    for (let cut = 1; cut < DOCUMENT.length; cut += 1) expect(events(splitAt(DOCUMENT, cut))).toEqual(whole);
    expect(events(Array.from(DOCUMENT, (byte) => Buffer.from([byte])))).toEqual(whole);
  });

  it('reports the same when a tag is carried into a next chunk longer than the join (4 KiB), and when that tag is longer than the join', () => {
    const row = '<row r="1"><c r="A1" t="s"><v>12</v></c><c t="inlineStr"><is><t>caf\u00e9 &amp;</t></is></c></row>';
    const long = Buffer.from(`<doc>${row.repeat(200)}<c r="${'Z'.repeat(20_000)}"/><!-- c --><![CDATA[x]]>${row.repeat(200)}</doc>`);
    const reference = events([long]);
    const tagAt = long.indexOf('<c r="ZZZ');
    for (const cut of [...Array.from({ length: 100 }, (_, k) => 1000 + k), tagAt + 5, tagAt + 10_000, long.indexOf('<!--') + 2, long.indexOf('<![CDATA[') + 3]) {
      expect(events(splitAt(long, cut))).toEqual(reference);
      expect(events(splitAt(long, cut, cut + 6_000))).toEqual(reference);
    }
  });

  it.each([
    ['a document type declaration', '<!DOCTYPE lol [<!ENTITY a "aaaa">]><r>&a;</r>', 'doctype'],
    ['an external entity', '<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>', 'doctype'],
    ['an end tag that does not match', '<a><b></a></b>', 'malformed'],
    ['an element left open', '<a><b></b>', 'malformed'],
    ['two root elements', '<a/><b/>', 'malformed'],
    ['text outside the root', '<a/>text', 'malformed'],
    ['< in an attribute value', '<a b="<"/>', 'malformed'],
    ['an unquoted attribute', '<a b=c/>', 'malformed'],
    ['an unclosed comment', '<a/><!-- never closed', 'malformed'],
    ['nothing at all', '', 'malformed'],
    ['UTF-16', '\ufeff<a/>', 'malformed'],
  ])('refuses %s', (_title, xml, reason) => {
    const bytes = xml.startsWith('\ufeff') && xml.length === 5 ? Buffer.from(xml, 'utf16le') : Buffer.from(xml);
    let error: unknown;
    try {
      events([bytes]);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(XmlScanError);
    expect((error as XmlScanError).reason).toBe(reason);
  });

  it('refuses entities it does not know in the text it decodes, and characters XML forbids', () => {
    expect(() => events([Buffer.from('<a>&lol;</a>')])).toThrow('does not define');
    expect(() => events([Buffer.from('<a>&#0;</a>')])).toThrow('does not allow');
    expect(() => events([Buffer.from('<a>\u0001</a>')])).toThrow('does not allow');
    expect(() => events([Buffer.from([0x3c, 0x61, 0x3e, 0xff, 0x3c, 0x2f, 0x61, 0x3e])])).toThrow('UTF-8');
  });

  it('holds no more than one tag across chunks: a 5 MiB tag is refused', () => {
    const big = Buffer.concat([Buffer.from('<a b="'), Buffer.alloc(5 * 1024 * 1024, 0x61), Buffer.from('"/>')]);
    const chunks = Array.from({ length: Math.ceil(big.length / 65536) }, (_, i) => big.subarray(i * 65536, (i + 1) * 65536));
    expect(() => events(chunks)).toThrow('longer than');
  });
});
