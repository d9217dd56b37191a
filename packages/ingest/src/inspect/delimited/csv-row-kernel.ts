import { types } from 'node:util';
import { CSV_ROW_KERNEL_WASM_BASE64 } from './csv-row-kernel-wasm';

/**
 * What {@link PandasCsvScanner} carries from one chunk to the next once the header is read:
 * everything its data-row pass depends on. Same meanings as the scanner's fields.
 */
export interface CsvRowState {
  /** Scanner state (`State` in pandas-csv-scanner.ts). */
  state: number;
  /** What a `\r` at the end of the previous chunk takes with it (`AfterCarriageReturn`). */
  afterCarriageReturn: number;
  /** Fields of the row being read. */
  fieldCount: number;
  /** Most fields a data row may have. */
  expectedFields: number;
  /** Current 1-based line. */
  line: number;
  /** Line on which the row being read started. */
  recordLine: number;
  /** Data rows so far. */
  dataRows: number;
}

/** A WebAssembly global as JavaScript sees it (i64 globals hold bigints, f64 and i32 ones numbers). */
interface WasmGlobal {
  value: unknown;
}

/** The kernel's exports (csv-row-kernel.wat). */
interface KernelExports {
  memory: { buffer: ArrayBuffer };
  scan: (length: number, delimiter: number) => number;
  state: WasmGlobal;
  afterCarriageReturn: WasmGlobal;
  fieldCount: WasmGlobal;
  expectedFields: WasmGlobal;
  line: WasmGlobal;
  recordLine: WasmGlobal;
  dataRows: WasmGlobal;
}

/**
 * The part of the WebAssembly JavaScript API used here. Node provides it as a global; the
 * TypeScript libraries this project compiles with (ES2023, no DOM) do not declare it.
 */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;
const isGlobal = (value: unknown): value is WasmGlobal => isObject(value) && 'value' in value;

function wasmApi(): WasmApi | undefined {
  const api: unknown = Reflect.get(globalThis, 'WebAssembly');
  const usable = (value: unknown): value is WasmApi => isObject(value) && typeof value.Module === 'function' && typeof value.Instance === 'function';
  return usable(api) ? api : undefined;
}

function isKernelExports(value: unknown): value is KernelExports {
  if (!isObject(value)) return false;
  const { memory, scan } = value;
  const globals = ['state', 'afterCarriageReturn', 'fieldCount', 'expectedFields', 'line', 'recordLine', 'dataRows'];
  // isArrayBuffer, not instanceof: the memory may come from another realm (jest's sandbox).
  return isObject(memory) && types.isArrayBuffer(memory.buffer) && typeof scan === 'function' && globals.every((name) => isGlobal(value[name]));
}

/** Bytes after the input that a 16-byte vector load may touch. */
const VECTOR_SLACK = 16;

/** Compiled once per process; `null` where WebAssembly SIMD is unavailable (the JavaScript loop then runs). */
let compiled: { api: WasmApi; module: object } | null | undefined;

function kernelModule(): { api: WasmApi; module: object } | null {
  if (compiled === undefined) {
    const api = wasmApi();
    try {
      compiled = api === undefined ? null : { api, module: new api.Module(Buffer.from(CSV_ROW_KERNEL_WASM_BASE64, 'base64')) };
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

/**
 * The data-row pass of {@link PandasCsvScanner} compiled to WebAssembly with SIMD
 * (csv-row-kernel.wat): about four times the speed of the JavaScript loop, because runs of
 * ordinary bytes are skipped 16 at a time. One instance (with its own 1 MiB of memory) per
 * scanner; the bytes are copied into that memory, which costs little next to scanning them.
 */
export class CsvRowKernel {
  private readonly exports: KernelExports;
  private readonly input: Uint8Array;

  private constructor(exports: KernelExports) {
    this.exports = exports;
    this.input = new Uint8Array(exports.memory.buffer, 0, exports.memory.buffer.byteLength - VECTOR_SLACK);
  }

  /** A kernel, or `undefined` where this Node.js cannot run it (no WebAssembly SIMD). */
  static create(): CsvRowKernel | undefined {
    const compiledKernel = kernelModule();
    if (compiledKernel === null) return undefined;
    const { exports } = new compiledKernel.api.Instance(compiledKernel.module, {});
    if (!isKernelExports(exports)) throw new Error('CsvRowKernel: the compiled kernel lacks an export');
    return new CsvRowKernel(exports);
  }

  /**
   * Scans `bytes` from `row` and updates it. Returns `true` when a data row has more fields than
   * allowed: scanning stopped there, `row.recordLine` and `row.fieldCount` describe that row.
   */
  scan(bytes: Uint8Array, delimiter: number, row: CsvRowState): boolean {
    const kernel = this.exports;
    kernel.state.value = row.state;
    kernel.afterCarriageReturn.value = row.afterCarriageReturn;
    kernel.fieldCount.value = BigInt(row.fieldCount);
    kernel.expectedFields.value = BigInt(row.expectedFields);
    kernel.line.value = row.line;
    kernel.recordLine.value = row.recordLine;
    kernel.dataRows.value = row.dataRows;
    let failed = false;
    for (let start = 0; start < bytes.length && !failed; start += this.input.length) {
      const piece = bytes.subarray(start, start + this.input.length);
      this.input.set(piece);
      failed = kernel.scan(piece.length, delimiter) !== 0;
    }
    row.state = Number(kernel.state.value);
    row.afterCarriageReturn = Number(kernel.afterCarriageReturn.value);
    row.fieldCount = Number(kernel.fieldCount.value);
    row.expectedFields = Number(kernel.expectedFields.value);
    row.line = Number(kernel.line.value);
    row.recordLine = Number(kernel.recordLine.value);
    row.dataRows = Number(kernel.dataRows.value);
    return failed;
  }
}
