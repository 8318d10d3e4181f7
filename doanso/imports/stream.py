"""The national migration: a multi-million-row CSV of members, streamed in batches.

`import_csv(path, unit=…)` (what `manage.py import_members` runs) reads the file in batches of
whole records, checks every row with `rows.RowChecker`, refuses CCCDs repeated in the file or
already on record, and writes each batch's valid rows through `members.bulk.MemberLoad` (COPY on
PostgreSQL, one "active" status record per member, MemberStat and dashboard rollups) in one
transaction per batch. Rejected rows go to `<file>.errors.csv` (row number, the row as read, the
reasons). After each committed batch a small JSON checkpoint records where the next batch starts
(byte offset, row number, counts, the error file's size), so an interruption loses at most the
batch in flight and `resume=True` continues after the last committed one.

Memory is bounded by the batch: duplicates within the file are found within the batch (a set)
and, across batches, by the per-batch query against the member table, since the earlier
batches are already there (a dry run keeps them in a temporary table instead). The unique index
on citizen_id stays in place, so a concurrent registration of the same person fails the batch,
which is then checked again and retried once.

CSV: UTF-8 (a BOM is fine), comma or semicolon separated, first line the headers: those of the
template (recognised by `headers.py`, with or without diacritics) or the Member field names.
"""

from __future__ import annotations

import csv
import io
import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from django.db import IntegrityError, connection, transaction

from doanso.core.models import AuditEvent
from doanso.members.bulk import MemberLoad, is_postgres, reserve_member_ids, vi_int
from doanso.members.choices import MemberStatus
from doanso.members.models import Member
from doanso.organisations.models import Unit

from . import headers
from .rows import MEMBER_ROW_COLUMNS, ROW_COLUMNS, RowChecker

CITIZEN_ID = ROW_COLUMNS.index("citizen_id") + 1  # in a row with the id in front
ADMITTED = ROW_COLUMNS.index("admitted_on") + 1
DECISION = ROW_COLUMNS.index("admission_decision_number") + 1
KNOWN_FIELDS = {
    "full_name", "date_of_birth", "sex", "citizen_id", "citizen_id_issued_on", "citizen_id_issued_place",
    "legacy_id_9", "hometown", "permanent_ward", "permanent_address", "current_ward", "current_address",
    "ethnicity", "religion", "phone", "email", "education_general", "education_professional", "political_theory",
    "it_level", "foreign_language", "occupation", "is_salaried", "party_joined_on", "position",
    "is_full_time_official", "card_number", "admitted_on", "admission_decision_number", "admission_place",
    "federation_member", "student_association_member", "branch_code",
}  # fmt: skip
REASON = "Nhập hồ sơ từ tệp"


class ImportFileError(Exception):
    """A problem with the file or the options (Vietnamese message): nothing was written for it."""


@dataclass
class Checkpoint:
    file: str
    size: int
    unit: str
    offset: int = 0  # byte offset of the next batch's first record
    row: int = 1  # number of the last row read (the header is row 1)
    read: int = 0
    imported: int = 0
    rejected: int = 0
    errors_size: int = 0
    batches: int = 0
    done: bool = False

    def save(self, path: Path) -> None:
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(asdict(self)), encoding="utf-8")
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> Checkpoint:
        return cls(**json.loads(path.read_text(encoding="utf-8")))


@dataclass
class ImportReport:
    read: int = 0
    imported: int = 0
    rejected: int = 0
    seconds: float = 0.0
    errors_path: str = ""
    checkpoint_path: str = ""
    touched_units: set[int] = field(default_factory=set)

    @property
    def rate(self) -> float:
        return self.read / self.seconds if self.seconds else 0.0


def map_file_headers(cells: list[str]) -> dict[int, str]:
    """Column index → field: the template's headers (headers.py) or the field names themselves."""
    mapped = headers.map_headers(cells, "members", required=[])
    columns = dict(mapped.columns)
    taken = set(columns.values())
    for index, cell in enumerate(cells):
        name = cell.strip().lower()
        if index not in columns and name in KNOWN_FIELDS and name not in taken:
            columns[index] = name
            taken.add(name)
    missing = [f for f in headers.MEMBER_REQUIRED if f not in taken]
    if missing:
        names = ", ".join(f"“{headers.label(f)}”" for f in missing)
        raise ImportFileError(f"Thiếu cột bắt buộc: {names}. Hãy dùng tệp mẫu hoặc đặt lại tên cột.")
    return columns


def _records(handle, start: int, batch: int):
    """Yield (bytes of up to `batch` whole CSV records, offset after them) from byte `start` on.

    A record may span lines (a quoted cell with a line break): lines are joined until the quotes
    balance, so a batch never ends inside a record.
    """
    handle.seek(start)
    offset = start
    while True:
        lines = []
        n = 0
        open_quotes = False
        while n < batch or open_quotes:
            line = handle.readline()
            if not line:
                break
            lines.append(line)
            if line.count(b'"') % 2:
                open_quotes = not open_quotes
            if not open_quotes:
                n += 1
        if not lines:
            return
        data = b"".join(lines)
        offset += len(data)
        yield data, offset


class Interrupted(Exception):
    pass


def import_csv(
    path: str | Path,
    *,
    unit: Unit | str,
    batch: int = 20_000,
    checkpoint: str | Path | None = None,
    resume: bool = False,
    dry_run: bool = False,
    actor: Any = None,
    today: date | None = None,
    progress: Callable[[str], None] | None = None,
    fail_after_batches: int | None = None,
) -> ImportReport:
    """Import the members of a CSV file into `unit`'s branches. See the module docstring.

    `fail_after_batches` is for tests: raise Interrupted after that many committed batches.
    """
    say = progress or (lambda _msg: None)
    path = Path(path)
    if isinstance(unit, str):
        found = Unit.objects.filter(code__iexact=unit.strip()).first()
        if found is None:
            raise ImportFileError(f"Không có đơn vị mã “{unit}”.")
        unit = found
    if not path.is_file():
        raise ImportFileError(f"Không tìm thấy tệp {path}.")
    size = path.stat().st_size
    if size == 0:
        raise ImportFileError("Tệp rỗng.")
    errors_path = Path(f"{path}.errors.csv")
    cp_path = Path(checkpoint) if checkpoint else Path(f"{path}.checkpoint.json")
    report = ImportReport(errors_path=str(errors_path), checkpoint_path=str(cp_path))

    with path.open("rb") as handle:
        head = handle.readline()
        try:
            head_text = head.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ImportFileError("Tệp không phải UTF-8: hãy lưu lại dưới dạng “CSV UTF-8”.") from exc
        dialect = "excel"
        delimiter = ";" if head_text.count(";") > head_text.count(",") else ","
        header_cells = next(csv.reader([head_text], delimiter=delimiter))
        columns = map_file_headers(header_cells)
        order = sorted(columns)
        fields = [columns[i] for i in order]

        state = Checkpoint(file=str(path.resolve()), size=size, unit=unit.code, offset=len(head))
        if resume and cp_path.exists():
            saved = Checkpoint.load(cp_path)
            if (saved.file, saved.size, saved.unit) != (state.file, state.size, state.unit):
                raise ImportFileError("Điểm dừng không khớp với tệp hoặc đơn vị này; bỏ --resume để nhập lại từ đầu.")
            state = saved
            if state.done:
                say("Tệp này đã nhập xong (theo điểm dừng).")
        elif resume:
            raise ImportFileError(f"Không có điểm dừng {cp_path} để tiếp tục.")

        checker = RowChecker(unit=unit, today=today)
        if dry_run:
            errors_file = errors_path.open("w", encoding="utf-8-sig", newline="")
        elif resume:
            errors_file = errors_path.open("r+" if errors_path.exists() else "w+", encoding="utf-8-sig", newline="")
            errors_file.seek(0, os.SEEK_END)
            if errors_file.tell() > state.errors_size:
                errors_file.seek(state.errors_size)
                errors_file.truncate()
        else:
            errors_file = errors_path.open("w", encoding="utf-8-sig", newline="")
        errors_writer = csv.writer(errors_file)
        if errors_file.tell() == 0:
            errors_writer.writerow(["Dòng", *header_cells, "Lỗi"])
            errors_file.flush()
        state.errors_size = errors_file.tell() if not dry_run else 0

        seen_table = _open_seen_table() if dry_run else None
        actor_id = getattr(actor, "pk", None)
        started = time.monotonic()
        read0 = state.read
        try:
            if state.done:
                pass
            else:
                for data, end in _records(handle, state.offset, batch):
                    text = data.decode("utf-8", errors="replace")
                    records = list(csv.reader(io.StringIO(text, newline=""), dialect, delimiter=delimiter))
                    _run_batch(
                        records, order, fields, header_cells, checker, state, errors_writer, report,
                        actor_id=actor_id, dry_run=dry_run, seen_table=seen_table, source=path.name,
                        unit=unit,
                    )  # fmt: skip
                    errors_file.flush()
                    state.offset = end
                    state.batches += 1
                    if not dry_run:
                        state.errors_size = errors_file.tell()
                        state.save(cp_path)
                    elapsed = time.monotonic() - started
                    rate = (state.read - read0) / elapsed if elapsed else 0
                    say(
                        f"  {vi_int(state.read):>11} dòng  {elapsed:7.1f}s  {vi_int(round(rate)):>8} dòng/s  "
                        f"nhập {vi_int(state.imported)}  lỗi {vi_int(state.rejected)}"
                    )
                    if fail_after_batches is not None and state.batches >= fail_after_batches:
                        raise Interrupted(f"dừng thử sau {state.batches} lô")
                state.done = True
                if not dry_run:
                    state.save(cp_path)
        finally:
            errors_file.close()
            if seen_table:
                with connection.cursor() as cursor:
                    cursor.execute(f"DROP TABLE IF EXISTS {seen_table}")
        report.seconds = time.monotonic() - started
        report.read, report.imported, report.rejected = state.read, state.imported, state.rejected
    return report


def _open_seen_table() -> str:
    name = "import_seen_cccd"
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {name}")
        cursor.execute(f"CREATE TEMP TABLE {name} (citizen_id varchar(12) PRIMARY KEY)")
    return name


def _on_record(numbers: list[str], seen_table: str | None) -> set[str]:
    """Which of `numbers` are already members (or, in a dry run, earlier rows of the file)."""
    if not numbers:
        return set()
    found: set[str] = set()
    tables = [Member._meta.db_table] + ([seen_table] if seen_table else [])
    with connection.cursor() as cursor:
        for table in tables:
            if is_postgres():
                cursor.execute(f"SELECT citizen_id FROM {table} WHERE citizen_id = ANY(%s)", [numbers])
                found.update(r[0] for r in cursor.fetchall())
            else:
                for i in range(0, len(numbers), 900):
                    chunk = numbers[i : i + 900]
                    cursor.execute(
                        f"SELECT citizen_id FROM {table} WHERE citizen_id IN ({','.join(['%s'] * len(chunk))})", chunk
                    )
                    found.update(r[0] for r in cursor.fetchall())
    return found


def _run_batch(
    records, order, fields, header_cells, checker, state, errors_writer, report, *, actor_id, dry_run,
    seen_table, source, unit,
) -> None:  # fmt: skip
    ncols = len(header_cells)
    good: list[tuple[int, tuple, list[str]]] = []  # (row number, clean row, original cells)
    rejected: list[tuple[int, list[str], str]] = []
    batch_ids: set[str] = set()
    row_no = state.row
    for cells in records:
        row_no += 1
        if not any(cells):
            continue  # blank line
        state.read += 1
        raw = {f: (cells[i] if i < len(cells) else "") for i, f in zip(order, fields, strict=True)}
        clean, errors = checker.check_row(raw)
        if clean is None:
            rejected.append((row_no, cells, "; ".join(f"{e.field}: {e.reason}" for e in errors)))
            continue
        cid = clean[CITIZEN_ID - 1]
        if cid in batch_ids:
            rejected.append((row_no, cells, f"citizen_id: Số CCCD {cid} xuất hiện hai lần trong tệp."))
            continue
        batch_ids.add(cid)
        good.append((row_no, clean, cells))
    for attempt in (1, 2):
        on_record = _on_record([g[1][CITIZEN_ID - 1] for g in good], seen_table)
        writable = [g for g in good if g[1][CITIZEN_ID - 1] not in on_record]
        try:
            with transaction.atomic():
                if dry_run:
                    _remember(seen_table, [g[1][CITIZEN_ID - 1] for g in writable])
                else:
                    _write(writable, actor_id=actor_id, source=source, unit=unit, report=report)
            break
        except IntegrityError:
            if attempt == 2:
                raise
    for row_no_, clean, cells in good:
        if clean[CITIZEN_ID - 1] in on_record:
            rejected.append((
                row_no_, cells,
                f"citizen_id: Số CCCD {clean[CITIZEN_ID - 1]} đã có hồ sơ đoàn viên (hoặc xuất hiện ở dòng trước "
                "trong tệp): mỗi người chỉ có một hồ sơ.",
            ))  # fmt: skip
    rejected.sort()
    for row_no_, cells, reasons in rejected:
        errors_writer.writerow([row_no_, *(cells + [""] * (ncols - len(cells)))[:ncols], reasons])
    state.row = row_no
    state.imported += len(writable)
    state.rejected += len(rejected)


def _remember(table: str, numbers: list[str]) -> None:
    if not numbers:
        return
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} (citizen_id) VALUES (%s)", [(n,) for n in numbers])


def _write(writable, *, actor_id, source, unit, report) -> None:
    if not writable:
        return
    ids = reserve_member_ids(len(writable))
    load = MemberLoad(actor_id=actor_id, columns=MEMBER_ROW_COLUMNS, incremental=True)
    reason = f"{REASON} {source}"[:200]
    active = MemberStatus.ACTIVE.value
    with load:
        add = load.add
        for member_id, (_, clean, _) in zip(ids, writable, strict=True):
            row = (member_id, *clean)
            add(row, ((active, "", row[ADMITTED], row[DECISION], reason),))
    load.finish()
    report.touched_units.update(unit_id for unit_id, _ in load.report.stats)
    AuditEvent.objects.create(
        actor_id=actor_id, target_type="organisations.unit", target_id=unit.pk, action="import_members",
        summary=f"Nhập {vi_int(len(writable))} đoàn viên từ tệp {source} (mã {ids[0]}–{ids[-1]})"[:300],
        changes={"file": source, "members": len(writable), "first_id": ids[0], "last_id": ids[-1]},
    )  # fmt: skip
