/**
 * The fixed Python program that reads an .xls file with the kernel environment's xlrd and
 * prints, as one JSON line, what `pandas.read_excel(path, sheet_name=None, engine='xlrd')`
 * would need for metadata: per sheet its name, row count and first row, with each first-row
 * cell converted exactly as pandas's xlrd reader converts it (dates to datetime/time, errors to
 * NaN, integral floats to int), then keyed by Python equality and printed with `str()`.
 *
 * It does not import pandas (slow, memory-hungry, and pandas 1.5 refuses Debian's xlrd 1.2);
 * the conversion mirrors `pandas/io/excel/_xlrd.py` (`_parse_cell`, `get_sheet_data`).
 * Sheets are loaded one at a time (`on_demand`) and released.
 *
 * Usage: `python3 -I -B -c SCRIPT <path>`. Output: `{"ok": true, "sheets": [...]}` or
 * `{"ok": false, "reason": "encrypted" | "corrupt" | "memory" | "environment", "detail": "<exception class>"}`
 * (`memory`: the address-space cap was reached, a MemoryError this script can still report).
 */
export const XLS_METADATA_SCRIPT = String.raw`
import json, os, sys

def emit(payload):
    sys.stdout.write(json.dumps(payload))
    sys.stdout.write("\n")
    sys.stdout.flush()

def timestamp_ok(value):
    import datetime
    # pandas's Timestamp range at datetime's microsecond precision.
    return datetime.datetime(1677, 9, 21, 0, 12, 43, 145225) <= value <= datetime.datetime(2262, 4, 11, 23, 47, 16, 854775)

def header_cell(value, ctype, datemode, xlrd):
    import datetime
    if ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK) or (ctype == xlrd.XL_CELL_TEXT and value == ""):
        return {"empty": True}
    if ctype == xlrd.XL_CELL_DATE:
        try:
            value = xlrd.xldate.xldate_as_datetime(value, datemode)
        except Exception:
            # pandas keeps the raw float when the date overflows.
            return {"empty": False, "key": "n:" + repr(float(value)), "text": str(value), "label": {"type": "float", "value": repr(float(value))}}
        # pandas: Excel has no separate time type; a date on the epoch day is a time of day.
        if (not datemode and value.timetuple()[0:3] == (1899, 12, 31)) or (datemode and value.timetuple()[0:3] == (1904, 1, 1)):
            value = datetime.time(value.hour, value.minute, value.second, value.microsecond)
            return {"empty": False, "key": "time:" + str(value), "text": str(value), "label": {"type": "other"}}
        return {"empty": False, "key": "datetime:" + str(value), "text": str(value), "label": {"type": "datetime", "inTimestampRange": timestamp_ok(value)}}
    if ctype == xlrd.XL_CELL_ERROR:
        return {"empty": False, "key": "nan", "text": "nan", "label": {"type": "float", "value": "nan"}}
    if ctype == xlrd.XL_CELL_BOOLEAN:
        return {"empty": False, "key": "n:" + repr(float(bool(value))), "text": str(bool(value)), "label": {"type": "other"}}
    if ctype == xlrd.XL_CELL_NUMBER:
        return number_cell(value)
    return {"empty": False, "key": "s:" + str(value), "text": str(value), "label": {"type": "str"}}

def number_cell(value):
    as_int = int(value)
    if as_int == value:
        return {"empty": False, "key": "n:" + repr(float(value)), "text": str(as_int), "label": {"type": "int", "value": str(as_int)}}
    return {"empty": False, "key": "n:" + repr(float(value)), "text": str(value), "label": {"type": "float", "value": repr(float(value))}}

def main():
    path = sys.argv[1]
    try:
        import xlrd
    except Exception as error:
        emit({"ok": False, "reason": "environment", "detail": type(error).__name__})
        return
    # xlrd writes warnings to logfile while sheets load, so it stays open until the end.
    quiet = open(os.devnull, "w")
    try:
        book = xlrd.open_workbook(path, on_demand=True, logfile=quiet, verbosity=0)
    except MemoryError:
        emit({"ok": False, "reason": "memory", "detail": "MemoryError"})
        return
    except Exception as error:
        encrypted = "encrypt" in str(error).lower()
        emit({"ok": False, "reason": "encrypted" if encrypted else "corrupt", "detail": type(error).__name__})
        return
    sheets = []
    try:
        for index, name in enumerate(book.sheet_names()):
            sheet = book.sheet_by_index(index)
            header = []
            if sheet.nrows > 0:
                header = [header_cell(v, t, book.datemode, xlrd) for v, t in zip(sheet.row_values(0), sheet.row_types(0))]
            sheets.append({"name": name, "nrows": sheet.nrows, "ncols": sheet.ncols, "header": header})
            book.unload_sheet(index)
    except MemoryError:
        emit({"ok": False, "reason": "memory", "detail": "MemoryError"})
        return
    except Exception as error:
        emit({"ok": False, "reason": "corrupt", "detail": type(error).__name__})
        return
    finally:
        book.release_resources()
    emit({"ok": True, "sheets": sheets})

main()
`;
