import { TextDecoder } from 'node:util';
import { SaxesParser } from 'saxes';
import type { ZipArchive, ZipEntry } from './zip-archive';

/** Callbacks of {@link parseXmlEntry}; element names arrive without namespace prefix. */
export interface XmlHandlers {
  open?: (name: string, attributes: Readonly<Record<string, string>>) => void;
  text?: (text: string) => void;
  close?: (name: string) => void;
}

/** `x:row` -> `row`: some writers prefix the spreadsheet namespace. */
function localName(name: string): string {
  const colon = name.indexOf(':');
  return colon === -1 ? name : name.slice(colon + 1);
}

/**
 * Streams one zip entry through a SAX parser (saxes, the parser exceljs uses), chunk by chunk:
 * memory stays bounded by the chunk size whatever the part size. Handlers may throw to stop.
 *
 * @throws the XML error for malformed content, the signal's reason when aborted, yauzl's error
 *   when the entry's data is corrupt or larger than its declared size
 */
export async function parseXmlEntry(zip: ZipArchive, entry: ZipEntry, handlers: XmlHandlers, signal: AbortSignal): Promise<void> {
  const parser = new SaxesParser({ xmlns: false });
  let failure: Error | undefined;
  parser.on('error', (error) => {
    failure ??= error;
  });
  // Called through `handlers` so that a handler object's methods keep their `this`.
  if (handlers.open !== undefined) parser.on('opentag', (tag) => handlers.open?.(localName(tag.name), tag.attributes));
  if (handlers.text !== undefined) {
    parser.on('text', (text) => handlers.text?.(text));
    parser.on('cdata', (text) => handlers.text?.(text));
  }
  if (handlers.close !== undefined) parser.on('closetag', (tag) => handlers.close?.(localName(tag.name)));

  const decoder = new TextDecoder('utf-8');
  const stream = await zip.openStream(entry);
  const abort = (): void => {
    stream.destroy(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
  };
  signal.addEventListener('abort', abort, { once: true });
  try {
    for await (const chunk of stream) {
      parser.write(decoder.decode(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)), { stream: true }));
      if (failure !== undefined) throw failure;
    }
    parser.write(decoder.decode());
    parser.close();
    if (failure !== undefined) throw failure;
  } finally {
    signal.removeEventListener('abort', abort);
    stream.destroy();
  }
}
