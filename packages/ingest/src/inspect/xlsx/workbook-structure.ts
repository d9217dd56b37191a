import { posix } from 'node:path';
import { SaxesParser, type SaxesTagNS } from 'saxes';
import { XmlScanError } from './xml-scanner';

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
  /** The `<sheet>` names a relationship at all (openpyxl drops one that does not, with a warning). */
  hasRelationshipId: boolean;
}

/** What the workbook part says about the workbook as a whole. */
export interface WorkbookStructure {
  sheets: WorkbookSheet[];
  /** Dates count from 1904-01-01 instead of 1899-12-30 (old Mac workbooks). */
  date1904: boolean;
}

/** The usual path of the workbook part (the upload check requires it). */
export const WORKBOOK_PART = 'xl/workbook.xml';
/** Where openpyxl always reads styles from, whatever the relationships say. */
export const STYLES_PART = 'xl/styles.xml';

/**
 * Reads sheet names and their parts from `xl/workbook.xml` and its relationships, as openpyxl
 * does: names never depend on zip entry order or part file names (exceljs's streaming reader
 * falls back to "Sheet1", "Sheet2" when they do not line up).
 *
 * @param workbookPart - the path of the workbook part (`xl/workbook.xml`)
 * @param workbookXml - the text of the workbook part
 * @param relsXml - the text of its relationships (`xl/_rels/workbook.xml.rels`), if present
 * @throws Error when either is not well-formed XML
 */
export function parseWorkbookStructure(workbookPart: string, workbookXml: string, relsXml: string | undefined): WorkbookStructure {
  const targets = relsXml === undefined ? new Map<string, { type: string; target: string }>() : parseRelationships(relsXml);
  const sheets: WorkbookSheet[] = [];
  let date1904 = false;
  let inSheets = false;
  parseXml(workbookXml, {
    open(tag) {
      if (tag.local === 'sheets') inSheets = true;
      else if (tag.local === 'workbookPr') {
        // openpyxl's Bool descriptor: only "false", "f", "0" and "" are false.
        const value = attribute(tag, 'date1904');
        date1904 = value !== undefined && value !== '' && value !== 'false' && value !== 'f' && value !== '0';
      } else if (tag.local === 'sheet' && inSheets) {
        const name = attribute(tag, 'name') ?? '';
        const relationshipId = Object.values(tag.attributes).find(
          (attr) => attr.local === 'id' && RELATIONSHIP_NAMESPACES.has(attr.uri),
        )?.value;
        const relationship = relationshipId === undefined ? undefined : targets.get(relationshipId);
        sheets.push({
          name,
          type: relationship?.type ?? 'worksheet',
          partPath: relationship === undefined ? undefined : resolvePartPath(workbookPart, relationship.target),
          hasRelationshipId: relationshipId !== undefined && relationshipId !== '',
        });
      }
    },
    close(tag) {
      if (tag.local === 'sheets') inSheets = false;
    },
  });
  return { sheets, date1904 };
}

/** Content types openpyxl looks for, in its order (`_find_workbook_part`), and the shared strings one. */
const WORKBOOK_CONTENT_TYPES = [
  'application/vnd.ms-excel.template.macroEnabled.main+xml',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml',
  'application/vnd.ms-excel.sheet.macroEnabled.main+xml',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml',
];
const SHARED_STRINGS_CONTENT_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml';

/** Where `[Content_Types].xml` says the workbook and its shared strings are. */
export interface PackageParts {
  /** The workbook part, e.g. `xl/workbook.xml`; undefined when no content type names one. */
  workbookPart: string | undefined;
  /** The shared string table; undefined when there is none. */
  sharedStringsPart: string | undefined;
}

/** The package manifest's part names (without the leading `/`), as openpyxl reads them. */
export const CONTENT_TYPES_PART = '[Content_Types].xml';

/**
 * Reads `[Content_Types].xml` as openpyxl does: the workbook is the first override of a
 * workbook content type (macro-enabled and templates first), else `xl/workbook.xml` when a
 * default claims that type; the shared strings are the first override of their type.
 *
 * @throws Error when the text is not well-formed XML
 */
export function parseContentTypes(xml: string): PackageParts {
  const overrides: Array<{ partName: string; contentType: string }> = [];
  const defaults = new Set<string>();
  parseXml(xml, {
    open(tag) {
      const contentType = attribute(tag, 'ContentType');
      if (contentType === undefined) return;
      if (tag.local === 'Override') overrides.push({ partName: attribute(tag, 'PartName') ?? '', contentType });
      else if (tag.local === 'Default') defaults.add(contentType);
    },
  });
  const partOf = (type: string): string | undefined => overrides.find((override) => override.contentType === type)?.partName.slice(1);
  let workbookPart: string | undefined;
  for (const type of WORKBOOK_CONTENT_TYPES) {
    workbookPart = partOf(type);
    if (workbookPart !== undefined) break;
  }
  if (workbookPart === undefined && WORKBOOK_CONTENT_TYPES.some((type) => defaults.has(type))) workbookPart = WORKBOOK_PART;
  return { workbookPart, sharedStringsPart: partOf(SHARED_STRINGS_CONTENT_TYPE) };
}

/** The relationships part of a part (`xl/workbook.xml` -> `xl/_rels/workbook.xml.rels`). */
export function relationshipsPartOf(part: string): string {
  return posix.join(posix.dirname(part), '_rels', `${posix.basename(part)}.rels`);
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

/**
 * Resolves a relationship target as openpyxl's `get_dependents` does: `/xl/x.xml` is absolute,
 * anything else relative to the source part's folder; no URL decoding.
 */
function resolvePartPath(sourcePart: string, target: string): string {
  if (target.startsWith('/')) return target.slice(1);
  return posix.normalize(posix.join(posix.dirname(sourcePart), target));
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
  // No DTD is read: entities it declares would be undefined (an error) and nothing is fetched.
  parser.on('doctype', () => {
    failure ??= new XmlScanError('the part declares a document type (DTD), which spreadsheet files never do', 'doctype');
  });
  if (handlers.open !== undefined) parser.on('opentag', handlers.open);
  if (handlers.close !== undefined) parser.on('closetag', handlers.close);
  parser.write(xml).close();
  if (failure !== undefined) throw failure;
}
