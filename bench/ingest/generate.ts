/**
 * Test files for bench/ingest, generated once and kept (bench/.data is gitignored): a large CSV
 * and a large XLSX with a realistic mix of values. The same size always gives the same bytes
 * (seeded generator), so figures from different runs compare.
 */
import fs from 'node:fs';
import { once } from 'node:events';
import ExcelJS from 'exceljs';

/** mulberry32: small, fast, seeded. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const LAST_NAMES = ['Müller', 'Smith', "O'Brien", 'García', 'Nguyen', 'Kowalski', 'Rossi', 'Dubois', 'Johansson', 'Tanaka', 'Okafor', 'Schmidt', 'Silva', 'Novák', 'Brown'];
const FIRST_NAMES = ['Anna', 'José', 'Li', 'Zoë', 'Mohammed', 'Olga', 'Peter', 'Amélie', 'Kenji', 'Fatima', 'Lars', 'Chloé', 'Ivan', 'Grace', 'Tomás'];
const CITIES = ['Berlin', 'München', 'Zürich', 'São Paulo', 'Kraków', 'New York', 'Lyon', 'Osaka', 'Lagos', 'Toronto', '"Washington, D.C."', 'Malmö'];
const STATUSES = ['pending', 'shipped', 'delivered', 'returned', 'cancelled'];
const WORDS = ['late', 'delivery', 'box', 'damaged', 'customer', 'called', 'refund', 'gift', 'wrap', 'express', 'address', 'changed', 'invoice', 'sent', 'again', 'ok'];

const pick = <T>(next: () => number, values: readonly T[]): T => values[Math.floor(next() * values.length)] as T;
const pad = (value: number, width = 2): string => String(value).padStart(width, '0');

function words(next: () => number, count: number): string {
  const out: string[] = [];
  for (let i = 0; i < count; i += 1) out.push(pick(next, WORDS));
  return out.join(' ');
}

/** One CSV comment: mostly empty or plain, some quoted with commas and "" escapes, a few with a line break. */
function comment(next: () => number): string {
  const roll = next();
  if (roll < 0.45) return '';
  if (roll < 0.8) return words(next, 2 + Math.floor(next() * 6));
  if (roll < 0.95) return `"${words(next, 2)}, ""${words(next, 1)}"", ${words(next, 3)}"`;
  return `"${words(next, 3)}\n${words(next, 2)}"`;
}

function csvRow(next: () => number, id: number): string {
  const day = new Date(Date.UTC(2019, 0, 1) + Math.floor(next() * 1800) * 86_400_000);
  const date = `${day.getUTCFullYear()}-${pad(day.getUTCMonth() + 1)}-${pad(day.getUTCDate())}`;
  const customer = `"${pick(next, LAST_NAMES)}, ${pick(next, FIRST_NAMES)}"`;
  const amount = (next() * 5000).toFixed(2);
  const quantity = 1 + Math.floor(next() * 50);
  const seconds = Math.floor(next() * 86_400);
  const updated = `${date}T${pad(Math.floor(seconds / 3600))}:${pad(Math.floor(seconds / 60) % 60)}:${pad(seconds % 60)}Z`;
  return `${id},${date},${customer},${pick(next, CITIES)},${amount},${quantity},${pick(next, STATUSES)},${comment(next)},${updated}\n`;
}

/** Writes `path` (via a temporary name, so an interrupted run leaves nothing that looks done). */
async function writeAtomically(path: string, write: (temporary: string) => Promise<void>): Promise<void> {
  const temporary = `${path}.partial`;
  await write(temporary);
  await fs.promises.rename(temporary, path);
}

/**
 * A CSV of about `bytes` bytes: order rows with an ISO date, a quoted "Last, First" name (comma
 * inside), a city (non-ASCII names, one quoted with a comma), an amount, a quantity, a status, a
 * comment (45 % empty, 35 % plain words, 15 % quoted with commas and "" escapes, 5 % quoted with a
 * line break) and a timestamp. Kept once written.
 */
export async function ensureCsv(path: string, bytes: number): Promise<void> {
  if (fs.existsSync(path)) return;
  await writeAtomically(path, async (temporary) => {
    const out = fs.createWriteStream(temporary);
    const next = random(20_261_123);
    let written = 0;
    let id = 1;
    const header = 'id,order_date,customer,city,amount,quantity,status,comment,updated_at\n';
    out.write(header);
    written += header.length;
    while (written < bytes) {
      const rows: string[] = [];
      for (let i = 0; i < 20_000; i += 1) rows.push(csvRow(next, id++));
      const block = Buffer.from(rows.join(''));
      written += block.length;
      if (!out.write(block)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
  });
}

/**
 * An XLSX of about `bytes` bytes (compressed), written streaming by exceljs's WorkbookWriter
 * with shared strings and styles: an "Orders" sheet (about 80 % of the bytes) with dates,
 * numbers, names, cities, statuses and comments, then "Customers" and "Products" sheets. Kept
 * once written.
 */
export async function ensureXlsx(path: string, bytes: number): Promise<void> {
  if (fs.existsSync(path)) return;
  await writeAtomically(path, async (temporary) => {
    const out = fs.createWriteStream(temporary);
    const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useSharedStrings: true, useStyles: true });
    const next = random(20_261_124);
    // Rows per sheet from the compressed bytes one row takes (measured on this generator's output),
    // so that the same size always gives the same rows.
    const rowsFor = (share: number, bytesPerRow: number): number => Math.max(1, Math.round((bytes * share) / bytesPerRow));
    const sheets: Array<{ name: string; rows: number; header: string[]; row: (id: number) => ExcelJS.CellValue[] }> = [
      {
        name: 'Orders',
        rows: rowsFor(0.8, 66.6),
        header: ['id', 'order_date', 'customer', 'city', 'amount', 'quantity', 'status', 'comment', 'updated_at'],
        row: (id) => [
          id,
          new Date(Date.UTC(2019, 0, 1) + Math.floor(next() * 1800) * 86_400_000),
          `${pick(next, LAST_NAMES)}, ${pick(next, FIRST_NAMES)}`,
          pick(next, CITIES).replaceAll('"', ''),
          Math.round(next() * 500_000) / 100,
          1 + Math.floor(next() * 50),
          pick(next, STATUSES),
          next() < 0.45 ? null : words(next, 1 + Math.floor(next() * 3)),
          new Date(Date.UTC(2023, 0, 1) + Math.floor(next() * 31_536_000) * 1000),
        ],
      },
      {
        name: 'Customers',
        rows: rowsFor(0.12, 36),
        header: ['customer_id', 'name', 'city', 'since', 'credit_limit'],
        row: (id) => [id, `${pick(next, FIRST_NAMES)} ${pick(next, LAST_NAMES)}`, pick(next, CITIES).replaceAll('"', ''), new Date(Date.UTC(2010, 0, 1) + Math.floor(next() * 5000) * 86_400_000), Math.round(next() * 100) * 100],
      },
      {
        name: 'Products',
        rows: rowsFor(0.08, 32.3),
        header: ['sku', 'description', 'price', 'stock'],
        row: (id) => [`SKU-${pad(id, 7)}`, words(next, 3), Math.round(next() * 100_000) / 100, Math.floor(next() * 1000)],
      },
    ];
    for (const spec of sheets) {
      const sheet = workbook.addWorksheet(spec.name);
      sheet.getColumn(2).numFmt = 'yyyy-mm-dd';
      sheet.addRow(spec.header).commit();
      for (let id = 1; id <= spec.rows; id += 1) {
        sheet.addRow(spec.row(id)).commit();
        // Let the zip stream drain now and then: exceljs does not wait for it.
        if (id % 5_000 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      sheet.commit();
    }
    await workbook.commit();
  });
}
