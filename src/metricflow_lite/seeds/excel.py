"""Excel exports (.xlsx, .xls) read with calamine (a fast, maintained Rust reader), one sheet
written out as a UTF-8 CSV whose line k is the sheet's row k + offset, so that rows are typed and
rejected like any CSV's and a reject names the sheet's row."""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from metricflow_lite.errors import Location, MflError
from metricflow_lite.seeds.descriptor import SeedFile
from metricflow_lite.warehouse.base import SeedFormat

Cell = object
# A line break inside a cell is written as a Unicode noncharacter (kept by Unicode for a
# program's own use, never in an export) so that each sheet row stays one line of the CSV and
# keeps its row number; the loader puts the breaks back (FileLoad.line_breaks).
LINE_FEED, CARRIAGE_RETURN = "\ufdd0", "\ufdd1"


def hide_breaks(text: str) -> str:
    return text.replace("\n", LINE_FEED).replace("\r", CARRIAGE_RETURN)


def restore_breaks(text: str) -> str:
    return text.replace(LINE_FEED, "\n").replace(CARRIAGE_RETURN, "\r")


EXCEL_EPOCH = dt.datetime(1899, 12, 30)  # serial 1 = 1900-01-01 (with Lotus's leap day 1900-02-29)
MAC_EPOCH = dt.datetime(1904, 1, 1)  # serial 0 of a workbook in the 1904 date system
TEMPORAL = ("DATE", "TIMESTAMP", "TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE", "DATETIME")


def sheet_rows(seed: SeedFile, sheet: str | None) -> Iterator[list[Cell]]:
    """The sheet's rows from row 1 (empty rows included, so that positions are row numbers)."""
    from python_calamine import CalamineError, CalamineWorkbook

    magic = b""
    try:
        with seed.path.open("rb") as handle:
            magic = handle.read(512)
        if magic.startswith((ZIP_MAGIC, OLE_MAGIC)) and not magic.startswith(
            ZIP_MAGIC if seed.format is SeedFormat.XLSX else OLE_MAGIC
        ):
            # an .xls that is an .xlsx inside, or the other way round: read what it is
            with seed.path.open("rb") as handle:
                book = CalamineWorkbook.from_filelike(handle)
        else:
            book = CalamineWorkbook.from_path(str(seed.path))
    except (CalamineError, OSError, ValueError) as err:
        raise MflError(
            "E107",
            f"cannot read {seed.file}: {str(err).strip().splitlines()[0] or 'not an Excel file'}",
            Location(seed.file),
            _not_a_workbook(seed, magic),
        ) from None
    names = list(book.sheet_names)
    if not names:
        raise MflError("E116", f"{seed.file} has no sheets", Location(seed.file))
    name = names[0] if sheet is None else sheet
    if name not in names:
        from metricflow_lite.errors import did_you_mean

        raise MflError(
            "E116",
            f"{seed.file} has no sheet '{sheet}'",
            Location(seed.file),
            did_you_mean(str(sheet), names) or f"its sheets: {', '.join(names)}",
        )
    try:
        found = book.get_sheet_by_name(name)
        first_column = found.start[1] if found.start else 0
        # A cell merged over several rows (an agent's name beside each of their calls) holds
        # its value in its top row only, but reads as the value of every row it spans.
        below: dict[int, list[tuple[int, int]]] = {}  # row -> (column, the merge's top row)
        kept: dict[int, list[int]] = {}  # row -> the columns whose value merges hold
        for (top, left), (bottom, _) in found.merged_cell_ranges or ():
            column = left - first_column
            kept.setdefault(top, []).append(column)
            for row_index in range(top + 1, bottom + 1):
                below.setdefault(row_index, []).append((column, top))
        tops: dict[tuple[int, int], Cell] = {}
        errors: dict[int, list[tuple[int, str]]] = {}  # row -> (column, #DIV/0!)
        if seed.format is SeedFormat.XLSX:
            for (row_index, column), shown in error_cells(seed, name).items():
                errors.setdefault(row_index, []).append((column - first_column, shown))
        for index, row in enumerate(found.iter_rows()):
            cells = list[Cell](row)
            # an error loads as Excel shows it: #DIV/0! is no number, nor an empty cell
            for column, shown in errors.pop(index, ()):
                if 0 <= column < len(cells) and cells[column] in ("", None):
                    cells[column] = shown
            for column in kept.pop(index, ()):
                if 0 <= column < len(cells):
                    tops[(index, column)] = cells[column]
            for column, top in below.pop(index, ()):
                if 0 <= column < len(cells) and cells[column] in ("", None):
                    cells[column] = tops.get((top, column), "")
            yield cells
    except CalamineError as err:
        raise MflError(
            "E107", f"cannot read sheet '{name}' of {seed.file}: {err}", Location(seed.file)
        ) from None


# A formula cell with no value stored: <c r="B3"><f>B2*2</f><v /></c>, or no <v> at all
_FORMULA_CELL = re.compile(
    rb'<c r="([A-Z]+)([0-9]+)"([^>]*)>\s*<f\b[^>]*(?:/>|>[^<]*</f>)\s*(<v\s*/>|<v>\s*</v>|</c>)'
)
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"  # workbook.xml's
_RELATIONSHIP = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def _sheet_windows(seed: SeedFile, sheet: str | None) -> Iterator[bytes]:
    """An .xlsx sheet's XML a MiB at a time, each piece with the end of the one before (a cell
    cut between two is whole in the second); nothing when the workbook is not laid out as
    Excel lays it out."""
    import zipfile
    from xml.etree import ElementTree

    try:
        with zipfile.ZipFile(seed.path) as book:
            workbook = ElementTree.fromstring(book.read("xl/workbook.xml"))
            sheets = workbook.findall(f"{MAIN}sheets/{MAIN}sheet")
            chosen = next((s for s in sheets if sheet is None or s.get("name") == sheet), None)
            if chosen is None:
                return
            rels = ElementTree.fromstring(book.read("xl/_rels/workbook.xml.rels"))
            target = next(
                (r.get("Target", "") for r in rels if r.get("Id") == chosen.get(_RELATIONSHIP)),
                "",
            )
            part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            with book.open(part) as handle:
                tail = b""
                while chunk := handle.read(1 << 20):
                    text = tail + chunk
                    tail = text[-(1 << 16) :]
                    yield text
    except (zipfile.BadZipFile, KeyError, OSError, ElementTree.ParseError, ValueError):
        return


def uncalculated_formula(seed: SeedFile, sheet: str | None, below: int) -> str | None:
    """The first cell under row `below` of an .xlsx sheet that holds a formula whose value was
    never calculated (a program that writes workbooks, not Excel, left that to whoever opens
    it): calamine reads it as empty, and its rows would load without the value."""
    for text in _sheet_windows(seed, sheet):
        if b"<f" not in text:  # most sheets hold no formula: a fast look first
            continue
        for found in _FORMULA_CELL.finditer(text):
            column, row, attributes, value = found.groups()
            # a formula whose text result is empty stores <v></v> with t="str"
            empty_text = b't="str"' in attributes and value != b"</c>"
            if int(row) > below and not empty_text:
                return f"{column.decode()}{row.decode()}"
    return None


# An error value: <c r="B3" t="e"><f>1/0</f><v>#DIV/0!</v></c> (the formula is optional)
_ERROR_CELL = re.compile(
    rb'<c r="([A-Z]+)([0-9]+)"[^>]*\bt="e"[^>]*>\s*(?:<f\b[^>]*(?:/>|>[^<]*</f>)\s*)?<v>([^<]*)</v>'
)


def error_cells(seed: SeedFile, sheet: str | None) -> dict[tuple[int, int], str]:
    """The cells of an .xlsx sheet holding an error value (#DIV/0!, #N/A), by 0-based row and
    column: calamine reads them as empty, where Excel shows, and saves into a CSV, the error."""
    errors: dict[tuple[int, int], str] = {}
    for text in _sheet_windows(seed, sheet):
        if b't="e"' not in text:
            continue
        for found in _ERROR_CELL.finditer(text):
            letters, row, value = found.groups()
            column = 0
            for letter in letters:
                column = column * 26 + letter - ord("A") + 1
            errors[(int(row) - 1, column - 1)] = value.decode("utf-8", "replace")
    return errors


ZIP_MAGIC = b"PK\x03\x04"  # an .xlsx is a zip archive
OLE_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")  # an .xls is an OLE2 compound file


def _not_a_workbook(seed: SeedFile, head: bytes) -> str:
    """What a file named like a workbook that is none is, and what to do with it."""
    text = head.lstrip(b"\xef\xbb\xbf\xff\xfe\xfe\xff\x00 \t\r\n").lower()
    name = Path(seed.file).name
    if text.startswith(b"<"):
        # web systems' "export to Excel" writes an HTML table under an Excel name
        return (
            f"{name} is a web page (an HTML table) named like a workbook: open it in Excel and"
            " save it as .xlsx, or export CSV from the system"
        )
    if head and b"\x00" not in head and (b"," in head or b"\t" in head):
        return f"{name} looks like a CSV file named like a workbook: rename it .csv"
    return "check that the file is a complete .xlsx/.xls workbook (not a renamed CSV)"


def workbook_epoch(seed: SeedFile) -> dt.datetime:
    """The day an .xlsx workbook's serial dates count from: 1904-01-01 in the 1904 date
    system (Excel for Mac's, kept by a workbook saved in it), else 1899-12-30. calamine reads
    date cells by it; a serial number in a date column is read here, and 1,462 days early
    by the wrong one. An .xls says it in a record of its own: read as 1900 (see the docs)."""
    import zipfile
    from xml.etree import ElementTree

    if seed.format is not SeedFormat.XLSX:
        return EXCEL_EPOCH
    try:
        with zipfile.ZipFile(seed.path) as book:
            workbook = ElementTree.fromstring(book.read("xl/workbook.xml"))
    except (zipfile.BadZipFile, KeyError, OSError, ElementTree.ParseError, ValueError):
        return EXCEL_EPOCH  # sheet_rows says what is wrong with the file
    properties = workbook.find(f"{MAIN}workbookPr")
    flag = properties.get("date1904", "") if properties is not None else ""
    return MAC_EPOCH if flag.strip().lower() in ("1", "true") else EXCEL_EPOCH


def cell_text(
    cell: Cell, kind: str, fmt: str | None = None, epoch: dt.datetime = EXCEL_EPOCH
) -> str:
    """A cell as CSV text: whole numbers without '.0', dates in ISO form, and a number in a
    DATE/TIMESTAMP column read as an Excel serial date (days since the workbook's `epoch`).
    A date cell in a column with a `format:` is written in that format, which the column's
    text cells are read with."""
    if cell is None or cell == "":
        return ""
    if isinstance(cell, bool):
        return "true" if cell else "false"
    temporal = kind.upper().startswith(TEMPORAL)
    if isinstance(cell, int | float):
        if temporal:
            moment = epoch + dt.timedelta(days=float(cell))
            moment = moment.replace(microsecond=0) + dt.timedelta(
                seconds=round(moment.microsecond / 1e6)
            )
            return _in_format(moment, fmt) or (
                moment.date().isoformat() if kind.upper() == "DATE" else str(moment)
            )
        if isinstance(cell, float) and cell.is_integer() and abs(cell) < 2**53:
            return str(int(cell))
        return repr(cell)
    if isinstance(cell, dt.datetime):
        return (temporal and _in_format(cell, fmt)) or cell.isoformat(sep=" ")
    if isinstance(cell, dt.date):
        moment = dt.datetime.combine(cell, dt.time())
        return (temporal and _in_format(moment, fmt)) or cell.isoformat()
    if isinstance(cell, dt.time):
        return cell.isoformat()
    if isinstance(cell, dt.timedelta):
        # a duration ([h]:mm:ss) in seconds; a whole number of them without '.0', so that
        # talk_seconds: integer takes 0:02:05 as 125 (as it takes the number 125)
        seconds = round(cell.total_seconds(), 3)  # Excel keeps a day fraction, not microseconds
        return str(int(seconds)) if seconds.is_integer() else repr(seconds)
    return str(cell)


def _in_format(moment: dt.datetime, fmt: str | None) -> str:
    """The moment written in a column's strptime format, or '' when the format cannot say it
    whole (seconds where it has no %S): such a cell is rejected rather than cut short."""
    if fmt is None:
        return ""
    text = moment.strftime(fmt)
    try:
        back = dt.datetime.strptime(text, fmt)
    except ValueError:
        return ""
    return text if back == moment else ""


Kind = tuple[str, str | None]  # a column's declared type and strptime format


def write_sheet(
    rows: Iterator[list[Cell]],
    header_index: int,
    kind_of: Callable[[int], Kind],
    out: Path,
    epoch: dt.datetime = EXCEL_EPOCH,
) -> tuple[int, bool]:
    """Write the rows from `header_index` (0-based) on as CSV; the lines written, and whether
    a cell's line breaks were hidden (see hide_breaks). Serial dates count from `epoch`."""
    lines = 0
    breaks = False
    kinds: list[Kind] = []
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        for index, row in enumerate(rows):
            if index < header_index:
                continue
            lines += 1
            if index == header_index:
                names = [cell_text(c, "VARCHAR").strip() for c in row]
                breaks = any("\n" in name or "\r" in name for name in names)
                writer.writerow([hide_breaks(name) for name in names])
                kinds = [kind_of(i) for i in range(len(row))]
                continue
            texts = []
            blank = True
            for i, cell in enumerate(row):
                # most cells are text: no call for them (a 200k-row sheet has a million cells)
                if type(cell) is str:
                    if cell:
                        blank = False
                        if "\n" in cell or "\r" in cell:
                            # a value spanning lines would move every later row off its row number
                            cell = hide_breaks(cell)
                            breaks = True
                    texts.append(cell)
                else:
                    blank = blank and cell is None
                    kind, fmt = kinds[i] if i < len(kinds) else ("VARCHAR", None)
                    texts.append(cell_text(cell, kind, fmt, epoch))
            if blank:
                handle.write("\n")  # a blank row is a blank line, not a row of empty values
            else:
                writer.writerow(texts)
    return lines, breaks
