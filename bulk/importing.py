"""Bulk import: a real dry run, then all or nothing through the same services as the pages.

Both walk the file the same way, a chunk of rows at a time (memory stays flat
however long the file): parse, check against the database and the rest of the
file, and classify each row. The import also calls each row's service inside
one transaction; if any row fails, the transaction is rolled back and nothing
is written. The config files are written and one AstDB sync is asked for once,
after the commit.
"""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import islice

from django.core.exceptions import ValidationError
from django.db import transaction

from audit import trail
from bulk.columns import IGNORED_WHY
from bulk.csvfile import CsvFileError, CsvRow, read_table
from bulk.rows import HANDLERS, RowPlan, problems_from

CHUNK = 500
MAX_PROBLEMS = 2000  # listed one by one; beyond, only counted
MAX_ROWS_SHOWN = 1000


@dataclass
class Report:
    kind: str
    total: int = 0
    counts: Counter = field(default_factory=Counter)
    problems: list[dict] = field(default_factory=list)  # {"line", "key", "column", "message"}
    rows: list[dict] = field(default_factory=list)  # the first MAX_ROWS_SHOWN rows, classified
    ignored: list[str] = field(default_factory=list)
    file_error: str = ""

    @property
    def ok(self) -> bool:
        return not self.file_error and not self.counts["error"]

    def add(self, plan: RowPlan) -> None:
        self.total += 1
        self.counts[plan.action] += 1
        message = "; ".join(f"{c}: {m}" for c, m in plan.problems)
        if len(self.rows) < MAX_ROWS_SHOWN:
            self.rows.append({"line": plan.line, "key": plan.key, "action": plan.action, "message": message})
        for column, text in plan.problems:
            if len(self.problems) < MAX_PROBLEMS:
                self.problems.append(
                    {
                        "line": plan.line,
                        "key": plan.key,
                        "column": column,
                        "message": text,
                        "action": plan.action,
                    }
                )

    def summary(self) -> str:
        parts = [
            f"{self.counts[a]} {a}"
            for a in ("create", "update", "unchanged", "skip", "error")
            if self.counts[a]
        ]
        return ", ".join(parts) or "no rows"


class ImportRefused(Exception):
    """Some row could not be imported: nothing was written."""

    def __init__(self, report: Report):
        super().__init__(report.file_error or f"{report.counts['error']} rows refused")
        self.report = report


def _chunks(rows, size):
    while chunk := list(islice(rows, size)):
        yield chunk


def _walk(
    kind: str, text: str, *, replace: bool, apply: bool, progress: Callable[[int], None] | None
) -> Report:
    report = Report(kind)
    try:
        table = read_table(text)
        handler = HANDLERS[kind](table.header, replace, validate=not apply)
        missing = [c for c in handler.required if c not in table.header]
        if missing:
            report.file_error = (
                f"The file has no {' and no '.join(missing)} column. A {kind} file needs "
                f"{', '.join(handler.required)}; the header has: {', '.join(table.header) or 'nothing'}."
            )
            return report
        report.ignored = [
            f"{c} ({IGNORED_WHY[c]})" if c in IGNORED_WHY else c
            for c in table.header
            if c not in handler.used
        ] + ([f"{table.unnamed} unnamed"] if table.unnamed else [])
        seen: dict[str, int] = {}
        for chunk in _chunks(table.rows, CHUNK):
            loaded = handler.preload([row.cells for row in chunk])
            plans = [_plan_row(handler, row, loaded, seen) for row in chunk]
            if apply:
                plans = _apply_chunk(plans, handler)
            for plan in plans:
                report.add(plan)
            if progress:
                progress(report.total)
    except CsvFileError as e:
        report.file_error = str(e)
    return report


def _plan_row(handler, row: CsvRow, loaded, seen: dict[str, int]) -> RowPlan:
    key = row.cells.get(handler.key_column, "")  # cells arrive stripped from read_table
    if not key:
        if any(v for k, v in row.cells.items() if k != handler.key_column):
            return RowPlan(
                row.number,
                "",
                "skip",
                [
                    (
                        handler.key_column,
                        "no " + handler.key_column + ": nothing "
                        "to import (FreePBX writes rows like this for voicemail-only entries)",
                    )
                ],
            )
        return RowPlan(row.number, "", "skip")
    if key in seen:
        return RowPlan(
            row.number, key, "error", [(handler.key_column, f"{key} is already on line {seen[key]}.")]
        )
    seen[key] = row.number
    return handler.plan(row.number, row.cells, loaded)


def _apply_chunk(plans: list[RowPlan], handler) -> list[RowPlan]:
    """Run the chunk's service calls: its creates in one go where the handler can, the rest row by row."""
    batch = [i for i, p in enumerate(plans) if p.create_kwargs is not None] if handler.create_many else []
    if batch:
        failed = handler.create_many([plans[i].create_kwargs for i in batch])
        for position, error in failed.items():
            plan = plans[batch[position]]
            plans[batch[position]] = RowPlan(
                plan.line, plan.key, "error", problems_from(error, handler.header, handler.key_column)
            )
    batched = set(batch)
    return [
        _apply(p, handler) if p.apply is not None and i not in batched else p for i, p in enumerate(plans)
    ]


def _apply(plan: RowPlan, handler) -> RowPlan:
    try:
        plan.apply()
    except ValidationError as e:
        return RowPlan(plan.line, plan.key, "error", problems_from(e, handler.header, handler.key_column))
    return plan


def check_file(kind: str, text: str, *, replace: bool = True) -> Report:
    """The dry run: every row classified against the database and the rest of the file. Writes nothing."""
    return _walk(kind, text, replace=replace, apply=False, progress=None)


def count_rows(text: str) -> int:
    try:
        return sum(1 for _ in read_table(text).rows)
    except CsvFileError:
        return 0


class _Rollback(Exception):
    pass


def import_file(
    kind: str,
    text: str,
    *,
    replace: bool = True,
    progress: Callable[[int], None] | None = None,
    ref: str = "",
    label: str = "",
) -> Report:
    """Import every row, or nothing: raises ImportRefused (with the report) when any row fails.

    The audit log gets one entry per object created or changed, and one for the
    import itself (`ref` and `label` name it: the job and its file name).
    """
    report = Report(kind)
    try:
        with transaction.atomic(), trail.batch():
            report = _walk(kind, text, replace=replace, apply=True, progress=progress)
            if not report.ok:
                raise _Rollback
            counts = {
                a: report.counts[a] for a in ("create", "update", "unchanged", "skip") if report.counts[a]
            }
            trail.record(
                action=trail.Action.IMPORTED,
                kind=trail.ObjectType.IMPORT,
                ref=ref,
                label=label,
                changes=counts,
            )
    except _Rollback:
        raise ImportRefused(report) from None
    return report
