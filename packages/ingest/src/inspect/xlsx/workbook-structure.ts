import { posix } from 'node:path';
import { SaxesParser, type SaxesTagNS } from 'saxes';

/** Relationship namespaces of transitional and strict OOXML. */
const RELATIONSHIP_NAMESPACES: ReadonlySet<string> = new Set([
  'http://schemas.openxmlformats.org/officeDocument/2006/relationships',
  'http://purl.oclc.org/ooxml/officeDocument/relationships',
]);

/** One sheet listed in `xl/workbook.xml`, in workbook order (the order pandas reports). */
export interface WorkbookSheet {
  /** The name shown on the sheet tab. */
  name: string;
  /** `worksheet`, `chartsheet`, `dialogsheet`, ... (the relationship type's last segment). */
  type: string;
  /** The zip entry that holds the sheet, e.g. `xl/worksheets/sheet1.xml`; undefined when the relationship is missing. */
  partPath: string | undefined;
}

/** What the workbook part says about the workbook as a whole. */
export interface WorkbookStructure {
  sheets: WorkbookSheet[];
  /** Dates count from 1904-01-01 instead of 1899-12-30 (old Mac workbooks). */
  date1904: boolean;
  /** The shared string table part, when the workbook has one. */
  sharedStringsPart: string | undefined;
  /** The styles part (number formats tell dates from numbers), when the workbook has one. */
  stylesPart: string | undefined;
}

/** The path of the workbook part; the upload check requires exactly this part. */
export const WORKBOOK_PART = 'xl/workbook.xml';
/** The relationships of the workbook part, which map sheets to their parts. */
export const WORKBOOK_RELS_PART = 'xl/_rels/workbook.xml.rels';

/**
 * Reads sheet names and their parts from `xl/workbook.xml` and its relationships, as openpyxl
 * does: names never depend on zip entry order or part file names (exceljs's streaming reader
 * falls back to "Sheet1", "Sheet2" when they do not line up).
 *
 * @param workbookXml - the text of `xl/workbook.xml`
 * @param relsXml - the text of `xl/_rels/workbook.xml.rels`, if present
 * @throws Error when either is not well-formed XML
 */
export function parseWorkbookStructure(workbookXml: string, relsXml: string | undefined): WorkbookStructure {
  const targets = relsXml === undefined ? new Map<string, { type: string; target: string }>() : parseRelationships(relsXml);
  const partOfType = (type: string): string | undefined => {
    for (const relationship of targets.values()) {
      if (relationship.type === type) return resolvePartPath(WORKBOOK_PART, relationship.target);
    }
    return undefined;
  };
  const sheets: WorkbookSheet[] = [];
  let date1904 = false;
  let inSheets = false;
  parseXml(workbookXml, {
    open(tag) {
      if (tag.local === 'sheets') inSheets = true;
      else if (tag.local === 'workbookPr') {
        const value = attribute(tag, 'date1904');
        date1904 = value === '1' || value === 'true';
      } else if (tag.local === 'sheet' && inSheets) {
        const name = attribute(tag, 'name') ?? '';
        const relationshipId = Object.values(tag.attributes).find(
          (attr) => attr.local === 'id' && RELATIONSHIP_NAMESPACES.has(attr.uri),
        )?.value;
        const relationship = relationshipId === undefined ? undefined : targets.get(relationshipId);
        sheets.push({
          name,
          type: relationship?.type ?? 'worksheet',
          partPath: relationship === undefined ? undefined : resolvePartPath(WORKBOOK_PART, relationship.target),
        });
      }
    },
    close(tag) {
      if (tag.local === 'sheets') inSheets = false;
    },
  });
  return { sheets, date1904, sharedStringsPart: partOfType('sharedStrings'), stylesPart: partOfType('styles') };
}

function parseRelationships(xml: string): Map<string, { type: string; target: string }> {
  const relationships = new Map<string, { type: string; target: string }>();
  parseXml(xml, {
    open(tag) {
      if (tag.local !== 'Relationship' || attribute(tag, 'TargetMode') === 'External') return;
      const id = attribute(tag, 'Id');
      const target = attribute(tag, 'Target');
      const type = attribute(tag, 'Type') ?? '';
      if (id !== undefined && target !== undefined) {
        relationships.set(id, { type: type.slice(type.lastIndexOf('/') + 1), target });
      }
    },
  });
  return relationships;
}

/** Resolves a relationship target against its source part ("/xl/x.xml" is absolute, "x.xml" relative). */
function resolvePartPath(sourcePart: string, target: string): string {
  const decoded = safeDecodeUri(target.replace(/\\/g, '/'));
  const joined = decoded.startsWith('/') ? decoded : posix.join(posix.dirname(sourcePart), decoded);
  return posix.normalize(joined).replace(/^\/+/, '');
}

function safeDecodeUri(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** An attribute without a namespace prefix, by local name. */
function attribute(tag: SaxesTagNS, local: string): string | undefined {
  return Object.values(tag.attributes).find((attr) => attr.local === local && attr.prefix === '')?.value;
}

function parseXml(xml: string, handlers: { open?: (tag: SaxesTagNS) => void; close?: (tag: SaxesTagNS) => void }): void {
  const parser = new SaxesParser({ xmlns: true });
  let failure: Error | undefined;
  parser.on('error', (error) => {
    failure ??= error;
  });
  if (handlers.open !== undefined) parser.on('opentag', handlers.open);
  if (handlers.close !== undefined) parser.on('closetag', handlers.close);
  parser.write(xml).close();
  if (failure !== undefined) throw failure;
}
