import { describe, expect, it } from '@jest/globals';
import type { ChatResource } from '@assay/contracts';
import { chatToNotebook } from './notebook-export';

const CHAT = '0190a5c4-0000-7000-8000-000000000001';
const FIRST = '0190a5c4-0000-7000-8000-0000000000a1';
const SECOND = '0190a5c4-0000-7000-8000-0000000000a2';

function message(id: string, seq: number, overrides: Partial<ChatResource['messages'][number]> = {}): ChatResource['messages'][number] {
  return {
    id,
    chatId: CHAT,
    seq,
    content: `question ${seq}\nsecond line`,
    fileIds: [],
    status: 'completed',
    failure: null,
    provider: 'scripted',
    createdAt: '2026-11-23T10:00:00.000Z',
    completedAt: null,
    cells: [],
    artifacts: [],
    ...overrides,
  };
}

function cell(id: string, messageId: string, position: number, kind: 'code' | 'markdown' = 'code'): ChatResource['messages'][number]['cells'][number] {
  return {
    id,
    messageId,
    position,
    kind,
    source: `cell ${position}`,
    status: kind === 'code' ? 'ok' : 'idle',
    executionCount: kind === 'code' ? position : null,
    outputs: kind === 'code' ? [{ output_type: 'stream', name: 'stdout', text: `${position}\n` }] : [],
    startedAt: null,
    completedAt: null,
  };
}

describe('chatToNotebook', () => {
  it('orders cells by notebook position, puts each question before its first cell, and keeps failed messages without cells', () => {
    // A person inserted a cell of the second message between cells of the first.
    const chat: ChatResource = {
      id: CHAT,
      title: null,
      createdAt: '2026-11-23T10:00:00.000Z',
      messages: [
        message(FIRST, 1, { cells: [cell('c1', FIRST, 1, 'markdown'), cell('c3', FIRST, 3)] }),
        message(SECOND, 2, { cells: [cell('c2', SECOND, 2)] }),
        message('0190a5c4-0000-7000-8000-0000000000a3', 3, { status: 'failed', failure: { code: 'CODEGEN_FAILED', message: 'model unavailable' } }),
      ],
    };
    const notebook = chatToNotebook(chat, [], new Date('2026-11-23T12:00:00Z'));
    expect(notebook.cells.map((entry) => entry.id)).toEqual([
      'assay-data-files',
      'assay-setup',
      `question-${FIRST}`,
      'c1',
      `question-${SECOND}`,
      'c2',
      'c3',
      'question-0190a5c4-0000-7000-8000-0000000000a3',
    ]);
    expect(notebook.cells[2]?.source).toBe('**Question 1:**\n\n> question 1\n> second line');
    expect(notebook.cells.at(-1)?.source).toContain('CODEGEN_FAILED: model unavailable');
    expect(notebook.cells[0]?.source).toContain('no uploaded files');
    expect(notebook.metadata).toMatchObject({ title: `Assay chat ${CHAT}`, assay: { chatId: CHAT, exportedAt: '2026-11-23T12:00:00.000Z' } });
  });

  it('names every data file with its place under /mnt/data, and the setup cell checks for each', () => {
    const chat: ChatResource = { id: CHAT, title: 'Q3 | sales', createdAt: '2026-11-23T10:00:00.000Z', messages: [] };
    const files = [
      { name: 'sales.csv', sizeBytes: 77, sha256: 'a'.repeat(64) },
      { name: 'sales (2).csv', sizeBytes: 12, sha256: 'b'.repeat(64) },
    ];
    const [intro, setup] = chatToNotebook(chat, files, new Date()).cells;
    expect(intro?.source).toContain('# Q3 \\| sales');
    expect(intro?.source).toContain(`| \`/mnt/data/sales.csv\` | 77 | \`${'a'.repeat(64)}\` |`);
    expect(intro?.source).toContain('`/mnt/data/sales (2).csv`');
    expect(setup?.source).toContain('DATA_FILES = ["sales.csv","sales (2).csv"]');
  });
});
