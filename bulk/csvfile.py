"""Reading and writing Bulk Handler CSV files: decoding, the header, ragged rows, spreadsheet formulas."""

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings

BOM = "\ufeff"
# A cell starting with one of these is run as a formula by spreadsheets
# (CSV injection). Exports put a ' in front; imports take it off again.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A cell starting with ' gets one more in front too, so the import's taking one off gives it
# back as it was (`'=1+1` came back as `=1+1`).
ESCAPED_STARTS = (*FORMULA_STARTS, "'")


class CsvFileError(ValueError):
    """The file as a whole cannot be read: nothing in it is imported."""


@dataclass
class CsvRow:
    number: int  # the line of the row in the file, the header being line 1
    cells: dict[str, str]


def decode(data: bytes) -> str:
    """UTF-8, with or without a byte-order mark; anything else is refused with where it went wrong."""
    limit = settings.BULK_IMPORT_MAX_BYTES
    if len(data) > limit:
        raise CsvFileError(
            f"The file is {len(data) / 1_000_000:.1f} MB; the limit is {limit / 1_000_000:.0f} MB "
            "(BULK_IMPORT_MAX_BYTES). Split it into several files."
        )
    if not data or data.isspace():  # not data.strip(): a copy of the whole upload
        raise CsvFileError("The file is empty.")
    if b"\x00" in data[:4096]:
        raise CsvFileError(
            "This is not a CSV file (it holds binary data). Export it from your spreadsheet as CSV."
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise CsvFileError(
            f"The file is not UTF-8: byte {e.start + 1} (line {line}) cannot be read. "
            "Save it as CSV UTF-8 from your spreadsheet."
        ) from None
    return text.removeprefix(BOM)


def unneutralise(value: str) -> str:
    """Undo the ' that an export put before a formula-like cell (or a cell starting with ')."""
    if value.startswith("'") and value[1:2] and value[1] in ESCAPED_STARTS:
        return value[1:]
    return value


def neutralise(value: str) -> str:
    return f"'{value}" if value and value[0] in ESCAPED_STARTS else value


@dataclass
class CsvTable:
    header: list[str]  # lower-cased, as FreePBX reads it
    unnamed: int  # columns with an empty name (FreePBX exports end with some)
    rows: Iterator[CsvRow]
    delimiter: str = ","


# FreePBX's export writes these cells unquoted although they hold commas
# (`attach=no,saycid=no,envelope=no,delete=no`), so they run on into the unnamed
# columns that follow them, which its header adds for the purpose.
SPILLING_COLUMNS = ("voicemail_options",)

# Spreadsheets in many countries save "CSV" with semicolons; some tools write tabs.
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}


def _separators(text: str) -> dict[str, int]:
    """How many of each separator the header line holds outside quotes."""
    end = text.find("\n")
    end = end if end >= 0 else len(text)
    if text.find('"', 0, end) < 0:  # counted in place: a copy of a 19 MB header line is 19 MB
        return {d: text.count(d, 0, end) for d in DELIMITERS}
    line = "".join(part for i, part in enumerate(text[:end].split('"')) if i % 2 == 0)
    return {d: line.count(d) for d in DELIMITERS}


def detect_delimiter(text: str) -> str:
    """The separator of the header line: the one of , ; tab it uses most outside quotes (a comma on a tie)."""
    counts = _separators(text)
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def _check_width(text: str, delimiter: str) -> None:
    """Refuse a header of more columns than BULK_IMPORT_MAX_COLUMNS before it is parsed: 100,000
    columns cost the process 857 MB, in the header's names and in every row's cells."""
    limit = settings.BULK_IMPORT_MAX_COLUMNS
    columns = _separators(text)[delimiter] + 1
    if columns > limit:
        raise CsvFileError(
            f"The header has {columns:,} columns; at most {limit:,} are read (BULK_IMPORT_MAX_COLUMNS)."
        )


def _too_long(cells: list[str]) -> int | None:
    """The index of the first cell over BULK_IMPORT_MAX_CELL characters, or None."""
    limit = settings.BULK_IMPORT_MAX_CELL
    return next((i for i, cell in enumerate(cells) if len(cell) > limit), None)


def read_table(text: str) -> CsvTable:
    """The header and a lazy iterator over the rows (each checked for its number of cells, and
    the length of each cell: no check downstream reads more than BULK_IMPORT_MAX_CELL characters)."""
    delimiter = detect_delimiter(text)
    _check_width(text, delimiter)
    limit = settings.BULK_IMPORT_MAX_CELL
    reader = csv.reader(io.StringIO(text, newline=""), strict=True, delimiter=delimiter)
    try:
        raw_header = next(reader)
    except StopIteration:
        raise CsvFileError("The file is empty.") from None
    except csv.Error as e:
        raise CsvFileError(f"Line 1 is not valid CSV: {e}.") from None
    if (long := _too_long(raw_header)) is not None:
        raise CsvFileError(
            f"Line 1: a column name of {len(raw_header[long]):,} characters; at most {limit:,} are read "
            "(BULK_IMPORT_MAX_CELL)."
        )
    header = [name.strip().lower().removeprefix(BOM) for name in raw_header]
    spill = _spill(header)
    named = [h for h in header if h]
    if len(named) != len(set(named)):
        twice = sorted({h for h in named if named.count(h) > 1})
        raise CsvFileError(f"The header names these columns twice: {', '.join(twice)}.")
    # One column name alone ("extension") is a table missing columns, which the
    # importer names; anything else on a line without separators is not CSV.
    if len(header) < 2 and not re.fullmatch(r"[a-z_]+", header[0] if header else ""):
        raise CsvFileError(
            "This does not look like a CSV file: the first line has no column names separated by "
            "commas, semicolons or tabs."
        )

    def rows() -> Iterator[CsvRow]:
        while True:
            start = reader.line_num + 1  # a quoted cell may span lines: report where the row begins
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as e:
                raise CsvFileError(f"Line {reader.line_num} is not valid CSV: {e}.") from None
            if (long := _too_long(cells)) is not None:
                column = header[long] if long < len(header) and header[long] else f"number {long + 1}"
                raise CsvFileError(
                    f"Line {start}, column {column}: the cell holds {len(cells[long]):,} characters; "
                    f"at most {limit:,} are read (BULK_IMPORT_MAX_CELL)."
                )
            if not any(c.strip() for c in cells):
                continue  # blank line
            if spill is not None:
                cells = _join_spilled(cells, *spill, len(header))
            if len(cells) > len(header) and not any(c.strip() for c in cells[len(header) :]):
                # FreePBX's own exports end some rows with an extra empty cell.
                cells = cells[: len(header)]
            if len(cells) != len(header):
                raise CsvFileError(
                    f"Line {reader.line_num} has {len(cells)} cells but the header has {len(header)} columns. "
                    "Every row needs the same number of cells."
                )
            yield CsvRow(
                start,
                {name: unneutralise(cell.strip()) for name, cell in zip(header, cells, strict=True) if name},
            )

    spilled = 0 if spill is None else spill[1] - spill[0] - 1
    return CsvTable(
        header=named, unnamed=len(header) - len(named) - spilled, rows=rows(), delimiter=delimiter
    )


def _spill(header: list[str]) -> tuple[int, int] | None:
    """(the spilling column, the end of the unnamed columns after it), or None."""
    for name in SPILLING_COLUMNS:
        if name in header:
            start = end = header.index(name) + 1
            while end < len(header) and header[end] == "":
                end += 1
            if end > start:
                return start - 1, end
    return None


def _join_spilled(cells: list[str], column: int, end: int, width: int) -> list[str]:
    """The spilling column's cell joined again with the cells that ran on into the unnamed ones
    after it (and, when those end the header, past its end), each row as it was written."""
    stop = len(cells) if end == width else min(end, len(cells))
    if stop <= column + 1:
        return cells
    pieces = [cells[column], *(c for c in cells[column + 1 : stop] if c.strip())]
    joined = ",".join(p for p in pieces if p.strip())
    return [*cells[:column], joined, *[""] * (end - column - 1), *cells[stop:]]


def write_table(columns: list[str], rows: Iterator[dict[str, str]]) -> Iterator[str]:
    """CSV text, a chunk per row (for streaming), every cell neutralised against formulas."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    yield buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([neutralise(row.get(c, "")) for c in columns])
        yield buffer.getvalue()
