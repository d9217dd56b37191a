// Prints a chat's events as they happen: `node scripts/follow-chat.mjs <chatId> [--after N] [--exit]`.
// A small WebSocket client for trying Assay by hand. It reads ASSAY_URL and ASSAY_API_KEY from the
// environment, or from .assay/dev.env (written by `npm start`). With --exit it stops after the
// next message.completed or message.failed.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';

const args = process.argv.slice(2);
const chatId = args.find((arg) => !arg.startsWith('--') && args[args.indexOf(arg) - 1] !== '--after');
const after = args.includes('--after') ? Number(args[args.indexOf('--after') + 1]) : 0;
const exitWhenDone = args.includes('--exit');
if (!chatId) {
  process.stderr.write('usage: node scripts/follow-chat.mjs <chatId> [--after N] [--exit]\n');
  process.exit(2);
}

const devEnv = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '.assay', 'dev.env');
const fromFile = fs.existsSync(devEnv)
  ? Object.fromEntries(
      fs
        .readFileSync(devEnv, 'utf8')
        .split('\n')
        .filter((line) => line.includes('='))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    )
  : {};
const baseUrl = process.env.ASSAY_URL ?? fromFile.ASSAY_URL ?? 'http://127.0.0.1:8080';
const apiKey = process.env.ASSAY_API_KEY ?? fromFile.ASSAY_API_KEY;
if (!apiKey) {
  process.stderr.write('Set ASSAY_API_KEY (or run `npm start`, which writes .assay/dev.env).\n');
  process.exit(2);
}

const socket = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/v1/ws`, { headers: { authorization: `Bearer ${apiKey}` } });
socket.on('open', () => socket.send(JSON.stringify({ version: 'v1', type: 'subscribe', payload: { chatId, after } })));
socket.on('unexpected-response', (_request, response) => {
  process.stderr.write(`The gateway refused the connection: HTTP ${response.statusCode}\n`);
  process.exit(1);
});
socket.on('error', (error) => {
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
});
socket.on('message', (data) => {
  const frame = JSON.parse(data.toString());
  if (frame.type !== 'event') {
    process.stdout.write(`${frame.type} ${JSON.stringify(frame.payload)}\n`);
    return;
  }
  const event = frame.payload;
  process.stdout.write(`#${event.id} ${event.type} ${summarise(event)}\n`);
  if (exitWhenDone && (event.type === 'message.completed' || event.type === 'message.failed')) socket.close();
});
socket.on('close', () => process.exit(0));

/** One readable line per event: text as text, images as their size, the rest as JSON. */
function summarise(event) {
  const { data } = event;
  if (event.type === 'codegen.delta') return JSON.stringify(data.text);
  if (event.type === 'cell.created') return `${data.cell.kind} cell ${data.cell.position}: ${JSON.stringify(data.cell.source.slice(0, 60))}`;
  if (event.type === 'cell.output') {
    const output = data.output;
    if (output.output_type === 'stream') return `${output.name}: ${JSON.stringify(output.text)}`;
    if (output.output_type === 'error') return `${output.ename}: ${output.evalue}`;
    const kinds = Object.entries(output.data).map(([mime, value]) =>
      mime.startsWith('image/') ? `${mime} (${Math.round((String(value).length * 3) / 4 / 1024)} KiB)` : mime,
    );
    return `${output.output_type} [${kinds.join(', ')}]`;
  }
  return JSON.stringify(data);
}
