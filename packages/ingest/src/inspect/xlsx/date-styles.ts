import { DateStyleCollector, type DateStyles } from './number-formats';
import { type XmlScanHandler, XmlScanner } from './xml-scanner';
import { decodeXmlAttribute } from './xml-text';
import type { ZipArchive, ZipEntry } from './zip-archive';

const ELEMENTS = ['numFmt', 'cellXfs', 'xf'];
const ATTRIBUTES = ['numFmtId', 'formatCode'];

/**
 * The cell style indexes whose number format shows a date, from the styles part (streamed:
 * styles parts of bloated workbooks run to tens of MiB).
 */
export async function readDateStyles(zip: ZipArchive, entry: ZipEntry, signal: AbortSignal): Promise<DateStyles> {
  const collector = new DateStyleCollector();
  const handler: XmlScanHandler = {
    wantAttributes: true,
    wantText: false,
    open(name) {
      if (name < 0) return;
      const attributes: Record<string, string> = {};
      ATTRIBUTES.forEach((attributeName, index) => {
        const raw = scanner.rawAttribute(index);
        if (raw !== undefined) attributes[attributeName] = decodeXmlAttribute(raw);
      });
      collector.open(ELEMENTS[name] ?? '', attributes);
    },
    close(name) {
      if (name >= 0) collector.close(ELEMENTS[name] ?? '');
    },
    text() {},
  };
  const scanner = new XmlScanner(ELEMENTS, ATTRIBUTES, handler);
  await zip.read(entry, signal, (chunk) => {
    scanner.write(chunk);
  });
  scanner.end();
  return collector.dateStyles();
}
