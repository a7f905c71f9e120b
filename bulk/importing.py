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

from asterisk import boundary
from audit import trail
from bulk.columns import IGNORED_WHY
from bulk.csvfile import CsvFileError, CsvRow, decode, read_table
from bulk.follow_ups import apply_all
from bulk.kinds import HANDLERS
from bulk.rows import WEAK_KEEP, WEAK_REGENERATE, WEAK_UNDECIDED, RowPlan, problems_from, secret_changes
from directory import rules
from directory.secrets import MASK, SECRET_SETTING_KEYS, USER_SECRET_FIELDS
from directory.validators import keeping_weak_secrets

CHUNK = 500
MAX_PROBLEMS = 2000  # listed one by one; beyond, only counted
MAX_ROWS_SHOWN = 1000  # of each action: the check's filters show up to this many
ACTIONS = ("create", "update", "unchanged", "skip", "error")


def _shown(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(getattr(value, "pk", value))


def shown_changes(changes: dict | None) -> list[list[str]]:
    """[[field, before, after]] as a page shows them; a secret's value never leaves the server."""
    shown = []
    for name, (before, after) in (changes or {}).items():
        key = name.removeprefix("settings.")
        secret = key in SECRET_SETTING_KEYS if name.startswith("settings.") else key in USER_SECRET_FIELDS
        if secret:
            shown.append([key, MASK if before else "", f"{MASK} (new)" if after else ""])
        else:
            shown.append([key, _shown(before), _shown(after)])
    return shown


@dataclass
class Report:
    kind: str
    total: int = 0
    counts: Counter = field(default_factory=Counter)
    # Errors and warnings: {"line", "key", "column", "message", "action", "level"}.
    problems: list[dict] = field(default_factory=list)
    # Each row as the check shows it (up to MAX_ROWS_SHOWN of each action):
    # {"line", "key", "name", "action", "message", "level", "changes": [[field, before, after]]}.
    rows: list[dict] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    file_error: str = ""
    delimiter: str = ","
    weak: int = 0  # rows whose secret is short of the strong rule
    undecided: int = 0  # … of which no choice was made (keep or regenerate)
    secret_changes: int = 0  # updates giving an existing phone a new (strong) secret
    weak_secret_changes: int = 0  # updates giving an existing phone a new weak secret (if kept)
    refusal: str = ""  # why the import as a whole was refused although every row is valid

    @property
    def ok(self) -> bool:
        """Every row can be imported (a choice about weak secrets may still be needed)."""
        return not self.file_error and not self.counts["error"]

    @property
    def changes_anything(self) -> bool:
        return bool(self.counts["create"] or self.counts["update"])

    def add(self, plan: RowPlan) -> None:
        self.total += 1
        self.counts[plan.action] += 1
        if plan.action in ("create", "update", "unchanged"):
            self.weak += plan.weak
            self.undecided += bool(plan.warnings)
        if secret_changes(plan):
            if plan.weak:
                self.weak_secret_changes += 1
            else:
                self.secret_changes += 1
        level = "error" if plan.action == "error" else "warning" if plan.warnings else ""
        if self.counts[plan.action] <= MAX_ROWS_SHOWN:
            said = plan.problems + plan.warnings + plan.notes
            self.rows.append(
                {
                    "line": plan.line,
                    "key": plan.key,
                    "name": plan.name,
                    "action": plan.action,
                    "message": "; ".join(f"{c}: {m}" for c, m in said),
                    "level": level,
                    "changes": shown_changes(plan.changes),
                }
            )
        for kind, said in (("error", plan.problems), ("warning", plan.warnings)):
            for column, text in said:
                if len(self.problems) < MAX_PROBLEMS:
                    self.problems.append(
                        {
                            "line": plan.line,
                            "key": plan.key,
                            "column": column,
                            "message": text,
                            "action": plan.action,
                            "level": kind,
                        }
                    )

    def fail(self, plan: RowPlan, problems: list[tuple[str, str]]) -> None:
        """A row that passed, refused at the last step: counted and listed as an error instead."""
        self.counts[plan.action] -= 1
        self.counts["error"] += 1
        for row in self.rows:
            if row["line"] == plan.line:
                row.update(action="error", level="error", message="; ".join(f"{c}: {m}" for c, m in problems))
        for column, text in problems:
            self.problems.append(
                {
                    "line": plan.line,
                    "key": plan.key,
                    "column": column,
                    "message": text,
                    "action": "error",
                    "level": "error",
                }
            )

    def summary(self) -> str:
        parts = [f"{self.counts[a]} {a}" for a in ACTIONS if self.counts[a]]
        return ", ".join(parts) or "no rows"

    def secrets_changing(self, *, weak: str) -> int:
        """How many existing phones' secrets this import changes, with this choice about weak ones."""
        return self.secret_changes + (self.weak_secret_changes if weak == WEAK_KEEP else 0)

    def choices_missing(self, *, weak: str, change_secrets: bool) -> dict[str, str]:
        """The choices this import needs that were not made, by the field that asks each: whether
        to keep or regenerate weak secrets, and the consent to change existing phones' secrets.
        The one rule: the confirmation (pages and API, `bulk.services.import_confirm`) and the
        import itself (a command, `refuse_unless`) both ask here."""
        if self.weak and weak not in (WEAK_KEEP, WEAK_REGENERATE):
            return {
                "weak_secrets": f"{self.weak} {plural(self.weak, 'row has a secret', 'rows have secrets')} "
                "too weak for the strong rule: choose to keep them or to regenerate them."
            }
        if (changing := self.secrets_changing(weak=weak)) and not change_secrets:
            return {"change_secrets": f"Tick this to go on: {secrets_will_change(changing)}"}
        return {}

    def refuse_unless(self, *, change_secrets: bool, weak: str) -> None:
        """Set `refusal` when the import needs a choice the administrator has not made."""
        missing = self.choices_missing(weak=weak, change_secrets=change_secrets)
        if "weak_secrets" in missing:
            self.refusal = (
                f"{self.weak} {plural(self.weak, 'row has a secret', 'rows have secrets')} too "
                "weak for the strong rule (6 characters, 2 letters, 2 digits), so nothing was imported. "
                "Choose: keep them as they are (the phones keep working; the extensions are marked and "
                "listed by the Extensions page's 'Weak secrets' filter), or regenerate them (new "
                "extensions get strong secrets; their phones must be provisioned with them)."
            )
        elif "change_secrets" in missing:
            self.refusal = (
                f"{secrets_will_change(self.secrets_changing(weak=weak))} Nothing was imported: confirm the "
                "change of secrets, or remove the secret column (or those rows) from the file."
            )


def plural(n: int, one: str, many: str) -> str:
    return one if n == 1 else many


def secrets_will_change(n: int) -> str:
    return (
        f"{n} {plural(n, 'secret', 'secrets')} will change: "
        f"{plural(n, 'that phone', 'those phones')} must be re-provisioned."
    )


class ImportRefused(Exception):
    """Some row could not be imported, or a choice is missing: nothing was written."""

    def __init__(self, report: Report):
        super().__init__(report.file_error or report.refusal or f"{report.counts['error']} rows refused")
        self.report = report


def _chunks(rows, size):
    while chunk := list(islice(rows, size)):
        yield chunk


def header_problem(kind: str, header: list[str]) -> str:
    """Why a file of this kind cannot be read with this header (empty when it can)."""
    missing = [c for c in HANDLERS[kind].required if c not in header]
    if not missing:
        return ""
    article = "An" if kind[0] in "aeiou" else "A"
    return (
        f"The file has no {' and no '.join(missing)} column. {article} {kind} file needs "
        f"{', '.join(HANDLERS[kind].required)}; the header has: {', '.join(header) or 'nothing'}."
    )


def uploaded_text(kind: str, data: bytes) -> str:
    """An uploaded file's text, refused (CsvFileError) when it cannot be a file of this kind.

    Only the header is read (it is quick), so a wrong file is refused on upload,
    by the page or the API; the rows are checked in the background.
    """
    text = decode(data)
    problem = header_problem(kind, read_table(text).header)
    if problem:
        raise CsvFileError(problem)
    return text


def _walk(
    kind: str,
    text: str,
    *,
    replace: bool,
    apply: bool,
    progress: Callable[[int], None] | None,
    weak: str = WEAK_UNDECIDED,
) -> Report:
    # Weak secrets pass the services' check here; the planner decides what becomes of them
    # (a warning until the administrator chooses, then kept or regenerated). The rows are one
    # batch for the services' rules: a number, a channel or a device claimed by an earlier row
    # counts as taken (directory/rules.py).
    with keeping_weak_secrets(), rules.batch():
        return _walk_rows(kind, text, replace=replace, apply=apply, progress=progress, weak=weak)


def _walk_rows(kind, text, *, replace, apply, progress, weak) -> Report:
    report = Report(kind)
    try:
        table = read_table(text)
        report.delimiter = table.delimiter
        handler = HANDLERS[kind](table.header, replace, validate=not apply, weak=weak)
        report.file_error = header_problem(kind, table.header)
        if report.file_error:
            return report
        why = getattr(handler, "ignored_why", IGNORED_WHY)
        report.ignored = [
            f"{c} ({why[c]})" if c in why else c for c in table.header if c not in handler.used
        ] + ([f"{table.unnamed} unnamed"] if table.unnamed else [])
        handler.prescan(read_table(text).rows)
        seen: dict[str, int] = {}
        follow_ups: list[RowPlan] = []
        for chunk in _chunks(table.rows, CHUNK):
            loaded = handler.preload([row.cells for row in chunk])
            plans = [_plan_row(handler, row, loaded, seen) for row in chunk]
            if apply:
                plans = _apply_chunk(plans, handler)
            for plan in plans:
                report.add(plan)
                if plan.follow_up and plan.action in ("create", "update"):
                    follow_ups.append(plan)
            if progress:
                progress(report.total)
        if apply and report.ok and follow_ups:
            _finish(follow_ups, handler, report)
    except CsvFileError as e:
        report.file_error = str(e)
    return report


def _finish(plans: list[RowPlan], handler, report: Report) -> None:
    """The last step: what rows set on devices once every row exists (bulk.follow_ups)."""
    try:
        apply_all([plan.follow_up for plan in plans])
    except ValidationError as e:
        # Which row: the service names the device; the import is refused as a whole anyway.
        device_id = getattr(e, "device_id", "")
        plan = next((p for p in plans if p.follow_up.device_id == device_id), plans[0])
        report.fail(plan, problems_from(e, handler.header, handler.key_column))


def _plan_row(handler, row: CsvRow, loaded, seen: dict[str, int]) -> RowPlan:
    key = handler.key_of(row.cells)  # cells arrive stripped from read_table
    if not key:
        if any(v for k, v in row.cells.items() if k != handler.key_column):
            return RowPlan(
                row.number,
                "",
                "skip",
                notes=[
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
                plan.line,
                plan.key,
                "error",
                problems_from(error, handler.header, handler.key_column),
                name=plan.name,
            )
    batched = set(batch)
    return [
        _apply(p, handler) if p.apply is not None and i not in batched else p for i, p in enumerate(plans)
    ]


def _apply(plan: RowPlan, handler) -> RowPlan:
    try:
        plan.apply()
    except ValidationError as e:
        return RowPlan(
            plan.line, plan.key, "error", problems_from(e, handler.header, handler.key_column), name=plan.name
        )
    return plan


def check_file(
    kind: str,
    text: str,
    *,
    replace: bool = False,
    weak: str = WEAK_UNDECIDED,
    progress: Callable[[int], None] | None = None,
) -> Report:
    """The dry run: every row classified against the database and the rest of the file. Writes nothing."""
    return _walk(kind, text, replace=replace, apply=False, progress=progress, weak=weak)


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
    replace: bool = False,
    weak: str = WEAK_UNDECIDED,
    change_secrets: bool = False,
    progress: Callable[[int], None] | None = None,
    guard: Callable[[], str] | None = None,
    ref: str = "",
    label: str = "",
) -> Report:
    """Import every row, or nothing: raises ImportRefused (with the report) when any row fails,
    when weak secrets wait for a choice (`weak`), or when existing phones' secrets would change
    and `change_secrets` was not given.

    `guard`, run first inside the transaction, returns why not to go on (e.g. the
    database changed since the check that was confirmed), or "".
    The audit log gets one entry per object created or changed, and one for the
    import itself (`ref` and `label` name it: the job and its file name), saying
    who chose to keep weak secrets. The outbox records every user and device the
    import changed once, at the end (rows that update go through the services one
    by one, and would otherwise each record their own).
    """
    report = Report(kind)
    try:
        with transaction.atomic(), trail.batch(), boundary.batch():
            report.refusal = guard() if guard else ""
            if report.refusal:
                raise _Rollback
            report = _walk(kind, text, replace=replace, apply=True, progress=progress, weak=weak)
            report.refuse_unless(change_secrets=change_secrets, weak=weak)
            if not report.ok or report.refusal:
                raise _Rollback
            counts = {
                a: report.counts[a] for a in ("create", "update", "unchanged", "skip") if report.counts[a]
            }
            if report.weak and weak == WEAK_KEEP:
                counts["weak secrets kept"] = report.weak
            if report.secret_changes or report.weak_secret_changes:
                counts["secrets changed"] = report.secret_changes + report.weak_secret_changes
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
