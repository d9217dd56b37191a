;; The data-row pass of PandasCsvScanner (pandas-csv-scanner.ts) in WebAssembly with SIMD.
;;
;; Same states, same transitions, same counters as the scanner's JavaScript loop when it is no
;; longer keeping header bytes; the JavaScript loop is the specification, this is its fast
;; path. Runs of bytes that mean nothing to the current state are skipped 16 at a time: one
;; vector compare per special byte class, a bitmask, and a count of trailing zeros find the next
;; byte that matters, so no per-byte loop (and no mispredicted exit from one) remains in quoted
;; or unquoted fields. Line breaks inside quotes are counted from the same bitmasks (popcnt).
;;
;; Compiled to csv-row-kernel-wasm.ts by `npx tsx packages/ingest/scripts/compile-csv-row-kernel.ts`;
;; csv-row-kernel.test.ts fails when the two disagree.
;;
;; Memory: bytes [0, INPUT_BYTES) hold the input of one call; 16 more bytes (zeros, never
;; written) let a vector load start at any input position. Counters that can exceed 2^31 are
;; f64 (exact to 2^53, as JavaScript numbers) or i64.
(module
  (memory (export "memory") 17)

  ;; Scanner state, read and written by the JavaScript side between calls.
  (global $state (export "state") (mut i32) (i32.const 0))
  (global $afterCarriageReturn (export "afterCarriageReturn") (mut i32) (i32.const 0))
  (global $fieldCount (export "fieldCount") (mut i64) (i64.const 0))
  (global $expectedFields (export "expectedFields") (mut i64) (i64.const 0))
  (global $line (export "line") (mut f64) (f64.const 1))
  (global $recordLine (export "recordLine") (mut f64) (f64.const 1))
  (global $dataRows (export "dataRows") (mut f64) (f64.const 0))

  ;; States (State in pandas-csv-scanner.ts).
  ;;   0 StartRecord, 1 StartField, 2 InField, 3 InQuotedField, 4 QuoteInQuotedField, 5 WhitespaceLine
  ;; afterCarriageReturn (AfterCarriageReturn): 0 Nothing, 1 Newline, 2 NewlineOrDelimiter

  ;; Scans input bytes [0, length) with `delimiter`. Returns 0, or 1 when a data row has more
  ;; fields than allowed (ExtraFieldsError: recordLine, fieldCount and expectedFields tell which).
  ;; Everything hot is written out inline: V8 does not inline calls between wasm functions here.
  (func (export "scan") (param $length i32) (param $delimiter i32) (result i32)
    (local $index i32)
    (local $state i32)
    (local $code i32)
    (local $fieldCount i64)
    (local $expectedFields i64)
    (local $line f64)
    (local $recordLine f64)
    (local $dataRows f64)
    (local $vector v128)
    (local $delimiters v128)
    (local $newlines v128)
    (local $carriageReturns v128)
    (local $quotes v128)
    (local $mask i32)
    (local $quoteMask i32)
    (local $newlineMask i32)
    (local $left i32)
    (local $at i32)
    (local $status i32)
    (local.set $state (global.get $state))
    (local.set $fieldCount (global.get $fieldCount))
    (local.set $expectedFields (global.get $expectedFields))
    (local.set $line (global.get $line))
    (local.set $recordLine (global.get $recordLine))
    (local.set $dataRows (global.get $dataRows))
    (local.set $delimiters (i8x16.splat (local.get $delimiter)))
    (local.set $newlines (i8x16.splat (i32.const 0x0a)))
    (local.set $carriageReturns (i8x16.splat (i32.const 0x0d)))
    (local.set $quotes (i8x16.splat (i32.const 0x22)))

    ;; A \r that ended the previous input takes a \n (and, after a blank line, a delimiter) with it.
    (if (i32.and (i32.ne (global.get $afterCarriageReturn) (i32.const 0)) (i32.gt_u (local.get $length) (i32.const 0)))
      (then
        (local.set $code (i32.load8_u (i32.const 0)))
        (if (i32.or
              (i32.eq (local.get $code) (i32.const 0x0a))
              (i32.and (i32.eq (local.get $code) (local.get $delimiter)) (i32.eq (global.get $afterCarriageReturn) (i32.const 2))))
          (then (local.set $index (i32.const 1))))
        (global.set $afterCarriageReturn (i32.const 0))))

    (block $done
      (loop $bytes
        (br_if $done (i32.ge_u (local.get $index) (local.get $length)))

        ;; InField: find the delimiter, \n or \r that ends the field.
        (if (i32.eq (local.get $state) (i32.const 2))
          (then
            (local.set $vector (v128.load (local.get $index)))
            (local.set $mask
              (i8x16.bitmask
                (v128.or
                  (v128.or (i8x16.eq (local.get $vector) (local.get $delimiters)) (i8x16.eq (local.get $vector) (local.get $newlines)))
                  (i8x16.eq (local.get $vector) (local.get $carriageReturns)))))
            ;; Bits past the input's end do not count.
            (local.set $left (i32.sub (local.get $length) (local.get $index)))
            (if (i32.lt_u (local.get $left) (i32.const 16))
              (then (local.set $mask (i32.and (local.get $mask) (i32.sub (i32.shl (i32.const 1) (local.get $left)) (i32.const 1))))))
            (if (i32.eqz (local.get $mask))
              (then
                (local.set $index (i32.add (local.get $index) (i32.const 16)))
                (br $bytes)))
            (local.set $index (i32.add (local.get $index) (i32.ctz (local.get $mask))))
            (local.set $code (i32.load8_u (local.get $index)))
            (local.set $index (i32.add (local.get $index) (i32.const 1)))
            (local.set $fieldCount (i64.add (local.get $fieldCount) (i64.const 1)))
            (if (i32.eq (local.get $code) (local.get $delimiter))
              (then
                ;; StartField. Most fields start with an ordinary byte: stay in InField then.
                (local.set $state (i32.const 1))
                (if (i32.lt_u (local.get $index) (local.get $length))
                  (then
                    (local.set $code (i32.load8_u (local.get $index)))
                    (if (i32.eqz
                          (i32.or
                            (i32.or (i32.eq (local.get $code) (local.get $delimiter)) (i32.eq (local.get $code) (i32.const 0x22)))
                            (i32.or (i32.eq (local.get $code) (i32.const 0x0a)) (i32.eq (local.get $code) (i32.const 0x0d)))))
                      (then (local.set $state (i32.const 2))))))
                (br $bytes)))
            ;; The row ends (endRecord in the scanner).
            (local.set $dataRows (f64.add (local.get $dataRows) (f64.const 1)))
            (if (i64.gt_s (local.get $fieldCount) (local.get $expectedFields))
              (then
                (if (f64.eq (local.get $dataRows) (f64.const 1))
                  (then (local.set $expectedFields (local.get $fieldCount)))
                  (else
                    (local.set $status (i32.const 1))
                    (br $done)))))
            (local.set $fieldCount (i64.const 0))
            (local.set $line (f64.add (local.get $line) (f64.const 1)))
            (local.set $state (i32.const 0))
            ;; A \n right after a \r that ends a row belongs to it.
            (if (i32.eq (local.get $code) (i32.const 0x0d))
              (then
                (if (i32.eq (local.get $index) (local.get $length))
                  (then (global.set $afterCarriageReturn (i32.const 1)))
                  (else
                    (if (i32.eq (i32.load8_u (local.get $index)) (i32.const 0x0a))
                      (then (local.set $index (i32.add (local.get $index) (i32.const 1)))))))))
            (br $bytes)))

        ;; InQuotedField: find the next quote, counting the \n before it.
        (if (i32.eq (local.get $state) (i32.const 3))
          (then
            (local.set $vector (v128.load (local.get $index)))
            (local.set $quoteMask (i8x16.bitmask (i8x16.eq (local.get $vector) (local.get $quotes))))
            (local.set $newlineMask (i8x16.bitmask (i8x16.eq (local.get $vector) (local.get $newlines))))
            (local.set $left (i32.sub (local.get $length) (local.get $index)))
            (if (i32.lt_u (local.get $left) (i32.const 16))
              (then
                (local.set $mask (i32.sub (i32.shl (i32.const 1) (local.get $left)) (i32.const 1)))
                (local.set $quoteMask (i32.and (local.get $quoteMask) (local.get $mask)))
                (local.set $newlineMask (i32.and (local.get $newlineMask) (local.get $mask)))))
            (if (i32.eqz (local.get $quoteMask))
              (then
                (local.set $line (f64.add (local.get $line) (f64.convert_i32_u (i32.popcnt (local.get $newlineMask)))))
                (local.set $index (i32.add (local.get $index) (i32.const 16)))
                (br $bytes)))
            (local.set $at (i32.ctz (local.get $quoteMask)))
            ;; \n before the quote: bits below it.
            (local.set $line
              (f64.add (local.get $line)
                (f64.convert_i32_u (i32.popcnt (i32.and (local.get $newlineMask) (i32.sub (i32.shl (i32.const 1) (local.get $at)) (i32.const 1)))))))
            (local.set $index (i32.add (i32.add (local.get $index) (local.get $at)) (i32.const 1)))
            (local.set $state (i32.const 4))
            (br $bytes)))

        (local.set $code (i32.load8_u (local.get $index)))

        ;; StartField and QuoteInQuotedField share their handling of a field end; they differ on a quote.
        (if (i32.or (i32.eq (local.get $state) (i32.const 1)) (i32.eq (local.get $state) (i32.const 4)))
          (then
            (if (i32.eq (local.get $code) (i32.const 0x22))
              (then
                ;; StartField: opens a quoted field. QuoteInQuotedField: "" is one quote, still quoted.
                (local.set $index (i32.add (local.get $index) (i32.const 1)))
                (local.set $state (i32.const 3))
                (br $bytes)))
            (if (i32.eqz
                  (i32.or
                    (i32.eq (local.get $code) (local.get $delimiter))
                    (i32.or (i32.eq (local.get $code) (i32.const 0x0a)) (i32.eq (local.get $code) (i32.const 0x0d)))))
              (then
                ;; StartField: an unquoted field begins. QuoteInQuotedField: text after the closing quote.
                (local.set $state (i32.const 2))
                (br $bytes)))
            (local.set $index (i32.add (local.get $index) (i32.const 1)))
            (local.set $fieldCount (i64.add (local.get $fieldCount) (i64.const 1)))
            (if (i32.eq (local.get $code) (local.get $delimiter))
              (then
                (local.set $state (i32.const 1))
                (br $bytes)))
            ;; The row ends (endRecord in the scanner).
            (local.set $dataRows (f64.add (local.get $dataRows) (f64.const 1)))
            (if (i64.gt_s (local.get $fieldCount) (local.get $expectedFields))
              (then
                (if (f64.eq (local.get $dataRows) (f64.const 1))
                  (then (local.set $expectedFields (local.get $fieldCount)))
                  (else
                    (local.set $status (i32.const 1))
                    (br $done)))))
            (local.set $fieldCount (i64.const 0))
            (local.set $line (f64.add (local.get $line) (f64.const 1)))
            (local.set $state (i32.const 0))
            (if (i32.eq (local.get $code) (i32.const 0x0d))
              (then
                (if (i32.eq (local.get $index) (local.get $length))
                  (then (global.set $afterCarriageReturn (i32.const 1)))
                  (else
                    (if (i32.eq (i32.load8_u (local.get $index)) (i32.const 0x0a))
                      (then (local.set $index (i32.add (local.get $index) (i32.const 1)))))))))
            (br $bytes)))

        ;; StartRecord
        (if (i32.eqz (local.get $state))
          (then
            (local.set $recordLine (local.get $line))
            (if (i32.eq (local.get $code) (i32.const 0x22))
              (then
                (local.set $index (i32.add (local.get $index) (i32.const 1)))
                (local.set $state (i32.const 3))
                (br $bytes)))
            (if (i32.or (i32.eq (local.get $code) (i32.const 0x0a)) (i32.eq (local.get $code) (i32.const 0x0d)))
              (then
                ;; A blank line.
                (local.set $index (i32.add (local.get $index) (i32.const 1)))
                (local.set $line (f64.add (local.get $line) (f64.const 1)))
                (if (i32.eq (local.get $code) (i32.const 0x0d))
                  (then (local.set $index (call $afterBlankCarriageReturn (local.get $index) (local.get $length) (local.get $delimiter)))))
                (br $bytes)))
            (if (call $isLineSpace (local.get $code) (local.get $delimiter))
              (then
                (local.set $state (i32.const 5))
                (br $bytes)))
            (local.set $state (select (i32.const 1) (i32.const 2) (i32.eq (local.get $code) (local.get $delimiter))))
            (br $bytes)))

        ;; WhitespaceLine: spaces and tabs; a line of nothing else is blank.
        (block $spacesEnd
          (loop $spaces
            (br_if $spacesEnd (i32.ge_u (local.get $index) (local.get $length)))
            (local.set $code (i32.load8_u (local.get $index)))
            (br_if $spacesEnd (i32.eqz (call $isLineSpace (local.get $code) (local.get $delimiter))))
            (local.set $index (i32.add (local.get $index) (i32.const 1)))
            (br $spaces)))
        (br_if $done (i32.ge_u (local.get $index) (local.get $length)))
        (if (i32.or (i32.eq (local.get $code) (i32.const 0x0a)) (i32.eq (local.get $code) (i32.const 0x0d)))
          (then
            (local.set $index (i32.add (local.get $index) (i32.const 1)))
            (local.set $line (f64.add (local.get $line) (f64.const 1)))
            (local.set $state (i32.const 0))
            (if (i32.eq (local.get $code) (i32.const 0x0d))
              (then (local.set $index (call $afterBlankCarriageReturn (local.get $index) (local.get $length) (local.get $delimiter)))))
            (br $bytes)))
        ;; Not blank after all: the whitespace starts an unquoted field.
        (local.set $state (i32.const 2))
        (br $bytes)))

    (global.set $state (local.get $state))
    (global.set $fieldCount (local.get $fieldCount))
    (global.set $expectedFields (local.get $expectedFields))
    (global.set $line (local.get $line))
    (global.set $recordLine (local.get $recordLine))
    (global.set $dataRows (local.get $dataRows))
    (local.get $status))

  ;; A space or a tab that is not the delimiter (blank lines only: not hot).
  (func $isLineSpace (param $code i32) (param $delimiter i32) (result i32)
    (i32.and
      (i32.or (i32.eq (local.get $code) (i32.const 0x20)) (i32.eq (local.get $code) (i32.const 0x09)))
      (i32.ne (local.get $code) (local.get $delimiter))))

  ;; After a \r that ended a blank line: a \n, or a delimiter, right after it is swallowed
  ;; (pandas's EAT_CRNL_NOP).
  (func $afterBlankCarriageReturn (param $index i32) (param $length i32) (param $delimiter i32) (result i32)
    (local $code i32)
    (if (i32.eq (local.get $index) (local.get $length))
      (then
        (global.set $afterCarriageReturn (i32.const 2))
        (return (local.get $index))))
    (local.set $code (i32.load8_u (local.get $index)))
    (if (i32.or (i32.eq (local.get $code) (i32.const 0x0a)) (i32.eq (local.get $code) (local.get $delimiter)))
      (then (return (i32.add (local.get $index) (i32.const 1)))))
    (local.get $index))
)
