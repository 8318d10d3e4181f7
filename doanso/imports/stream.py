"""The national migration: a multi-million-row CSV of members, streamed in batches.

`import_csv(path, unit=…)` (what `manage.py import_members` runs) reads the file in batches of
whole records, checks every row (as `rows.RowChecker` does), refuses CCCDs repeated in the file or
already on record, and writes each batch's valid rows in one transaction per batch: the members
(one "active" status record each), MemberStat and the dashboard rollups (MemberFacet, MemberEvent,
added from per-batch counts, so every committed batch leaves the figures exact; a first load adds
them once at the end, see below). Rejected rows go
to `<file>.errors.csv` (row number, the row as read, the reasons). After each committed batch a
small JSON checkpoint records where the next batch starts (byte offset, row number, counts, the
error file's size), so an interruption loses at most the batch in flight and `resume=True`
continues after the last committed one. The same progress goes into each batch's audit entry, in
its transaction, and its error rows are written before it commits, so a process that dies between
the commit and the checkpoint file loses nothing either (`_recover_batch_mark`).

How it goes fast: each batch is first read and checked column by column with Apache Arrow
(`columnar.py`): the columnar pass accepts the rows it can prove clean, computing each
low-cardinality column once per distinct value with RowChecker's own functions and the
per-person columns with vectorised tests of their plain form; every other row goes to
`RowChecker.check_row`, which stays the one source of rules and messages (a batch Arrow cannot map
line for line, e.g. a cell spanning lines, is checked row by row whole). On PostgreSQL the
accepted rows are written with COPY … (FORMAT csv) straight from the Arrow table. One batch is
checked in a thread while the one before is written, so checking and COPY overlap on two cores;
`workers` > 0 instead forks that many checking processes (each with a copy of the checker), for
files the columnar pass mostly cannot take. With `first_load=True` (the national migration
into a register not yet in use) the secondary indexes and foreign keys of the member and
status-record tables are dropped first and rebuilt (and so validated) at the end, and the
dashboards and MemberStat are added once at the end, set-based, for every member from the first
id the load could take (`Checkpoint.rollups_from`), while the indexes are rebuilt on a second
connection; the unique index on citizen_id stays, so duplicates are still found per batch. The
checkpoint remembers what was dropped and what is left to add: a resumed import finishes both,
and any error finishes both before the import gives up.
On SQLite the rows are written through `members.bulk.MemberLoad` (bulk_create).

Memory is bounded by the batch (two in flight, 10,000 rows each by default) and the checker's
caches, not by the file: 242.9 MB (peak Pss, bench/README.md) for the 6.5-million-row national
file, ~95 MB of it Django and Arrow themselves and ~55 MB the table of the country's 100,000
branches. Duplicates within
the file are found within the batch (a set) and, across batches, by the per-batch query against
the member table, since the earlier batches are already there (a dry run keeps them in a
temporary table instead). The unique index on citizen_id stays in place, so a concurrent
registration of the same person fails the batch, which is then checked again and retried once.

CSV: UTF-8 (a BOM is fine), comma or semicolon separated, first line the headers: those of the
template (recognised by `headers.py`, with or without diacritics) or the Member field names.
Row numbers count records (a quoted cell may span lines) from the header, row 1.
"""

from __future__ import annotations

import csv
import io
import json
import multiprocessing
import os
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from operator import itemgetter
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pv
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, reset_queries, transaction

from doanso.core.models import AuditEvent
from doanso.members import rollups
from doanso.members.bulk import (
    RECORD_COLUMNS,
    MemberLoad,
    SecondaryIndexes,
    TableWriter,
    add_member_stats,
    is_postgres,
    reserve_member_ids,
    vi_int,
)  # fmt: skip
from doanso.members.choices import MemberStatus
from doanso.members.models import Member, MemberStatusRecord, RegisterLock
from doanso.organisations.models import Unit

from . import headers
from .columnar import ColumnarChecker, Fallback, table_rows
from .rows import MEMBER_ROW_COLUMNS, ROW_COLUMNS, RowChecker

_I = {name: i for i, name in enumerate(ROW_COLUMNS)}  # positions in a clean row
CITIZEN_ID, ADMITTED, DECISION = _I["citizen_id"], _I["admitted_on"], _I["admission_decision_number"]
_ROLLUP = itemgetter(
    _I["unit_id"], _I["sex"], _I["ethnicity_id"], _I["religion_id"], _I["date_of_birth"], _I["party_joined_on"],
    _I["admitted_on"],
)  # fmt: skip
KNOWN_FIELDS = {
    "full_name", "date_of_birth", "sex", "citizen_id", "citizen_id_issued_on", "citizen_id_issued_place",
    "legacy_id_9", "hometown", "permanent_ward", "permanent_address", "current_ward", "current_address",
    "ethnicity", "religion", "phone", "email", "education_general", "education_professional", "political_theory",
    "it_level", "foreign_language", "occupation", "is_salaried", "party_joined_on", "position",
    "is_full_time_official", "card_number", "admitted_on", "admission_decision_number", "admission_place",
    "federation_member", "student_association_member", "branch_code",
}  # fmt: skip
REASON = "Nhập hồ sơ từ tệp"
ACTIVE = MemberStatus.ACTIVE.value


class ImportFileError(Exception):
    """A problem with the file or the options (Vietnamese message): nothing was written for it."""


_SAVING = threading.Lock()


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
    first_load: bool = False
    dropped: dict | None = None  # what a first load dropped and must rebuild (SecondaryIndexes.state)
    rollups_from: int | None = None  # a first load's dashboards are added at the end, from this member id
    run: str = ""  # this run's mark in its batches' audit entries (see _recover_batch_mark)
    lock: int | None = None  # a first load's RegisterLock, deleted when its dashboards are added

    def save(self, path: Path) -> None:
        with _SAVING:  # a first load's dashboards and index rebuild finish in two threads
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
    """Yield (bytes of up to `batch` whole CSV records, how many, offset after them) from byte `start` on.

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
        yield data, n + open_quotes, offset


class Interrupted(Exception):
    pass


# ---------------------------------------------------------------- checking a batch (in any process)


def copy_text(value: Any) -> str:
    """One value in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    if value is True or value is False:
        return "t" if value else "f"
    if isinstance(value, str):
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return copy_text(json.dumps(value))
    return str(value)


@dataclass
class Checked:
    """What checking one batch found (pickled back from a worker process)."""

    read: int = 0  # rows that were not blank
    fast: Any = None  # rows the columnar pass accepted: an Arrow table (`_row`, ROW_COLUMNS), or None
    good: list = field(default_factory=list)  # the others accepted: (row number, CCCD, payload, rollup key)
    rejected: list = field(default_factory=list)  # (row number, cells, reasons)
    facets: Counter = field(default_factory=Counter)  # the good rows' dashboard counts per branch
    events: Counter = field(default_factory=Counter)

    @property
    def accepted(self) -> int:
        return len(self.good) + (self.fast.num_rows if self.fast is not None else 0)


_KEY_COLUMNS = ["unit_id", "sex", "ethnicity_id", "religion_id"]


def fast_keys(table) -> Counter:
    """The rollup keys (see BatchChecker) of an Arrow table of accepted rows, counted."""
    if table is None or table.num_rows == 0:
        return Counter()
    keys = pa.table({
        **{c: table.column(c) for c in _KEY_COLUMNS},
        "born": pc.year(table.column("date_of_birth")), "party": pc.is_valid(table.column("party_joined_on")),
        "year": pc.year(table.column("admitted_on")), "month": pc.month(table.column("admitted_on")),
    })  # fmt: skip
    names = keys.column_names
    grouped = keys.group_by(names).aggregate([([], "count_all")])
    columns = [grouped.column(c).to_pylist() for c in names]
    return Counter(dict(zip(zip(*columns, strict=True), grouped.column("count_all").to_pylist(), strict=True)))


def count_new(keys, facets: Counter, events: Counter, sign: int = 1) -> None:
    """Add what new active members count in, by their rollup keys (an iterable, or a Counter of
    keys), to per-branch dashboard counts: the (dim, key) pairs `rollups.facet_keys` gives a member
    and the admission event, as `rollups.on_created` adds them (the importer adds the ancestors).
    Keys are summed first, so facet_keys runs once per distinct member profile of a branch."""
    counts = keys if isinstance(keys, Counter) else Counter(keys)
    profiles: Counter = Counter()
    for (unit_id, sex, eth, rel, born, party, year, month), n in counts.items():
        profiles[(unit_id, sex, eth, rel, born, party)] += sign * n
        events[(unit_id, year, month, "admitted")] += sign * n
    for (unit_id, sex, eth, rel, born, party), n in profiles.items():
        member = {
            "status": ACTIVE, "sex": sex, "ethnicity_id": eth, "religion_id": rel, "date_of_birth": date(born, 1, 1),
            "party_joined_on": date(born, 1, 1) if party else None,
        }  # fmt: skip
        for dim, key in rollups.facet_keys(member):
            facets[(unit_id, dim, key)] += n


class BatchChecker:
    """Raw bytes of whole CSV records in, checked rows out: in the importing process or a worker.

    A good row's payload is, with `text=True` (PostgreSQL), its member and status-record lines in
    COPY text format without the member id in front (the importer reserves the ids), else the
    clean tuple (ROW_COLUMNS order). Its rollup key is what the dashboards count it by. CCCDs
    repeated within the batch are refused here; across batches the importer asks the database.
    """

    def __init__(
        self, *, checker: RowChecker, order: list[int], fields: list[str], delimiter: str, text: bool,
        member_tail: str = "", record_tail: str = "", columnar: ColumnarChecker | None = None,
    ):  # fmt: skip
        self.checker = checker
        self.columnar = columnar
        self.order = order
        self.fields = fields
        self.delimiter = delimiter
        self.text = text
        self.member_tail = member_tail
        self.record_tail = record_tail
        self.width = max(order) + 1
        self.pick = itemgetter(*order) if len(order) > 1 else (lambda cells: (cells[order[0]],))
        self._iso: dict[date, str] = {}
        self.count = True  # the per-branch dashboard counts (a first load adds the dashboards at the end instead)

    def __call__(self, data: bytes, first_row: int) -> Checked:
        if self.columnar is not None:
            try:
                fast, slow, blank = self.columnar(data, first_row)
            except Fallback:
                pass  # a batch the columnar reader cannot map line for line: row by row
            else:
                return self._with_fast(fast, slow, data, first_row, fast.num_rows)
        out = Checked()
        records = csv.reader(io.StringIO(data.decode("utf-8", errors="replace"), newline=""), delimiter=self.delimiter)
        self._check_rows(enumerate(records, first_row + 1), out, set())
        if self.count:
            count_new((g[3] for g in out.good), out.facets, out.events)
        return out

    def _with_fast(self, fast, slow: list, data: bytes, first_row: int, read: int) -> Checked:
        """The columnar pass's answer completed: its leftover rows checked row by row, a CCCD
        accepted in both kept only where it first appears, the dashboard counts of both."""
        out = Checked(read=read, fast=fast)
        if slow:
            self._check_rows(slow, out, set())
        if out.good and fast.num_rows:
            cids = fast.column("citizen_id")
            twice = pc.is_in(cids, value_set=pa.array([g[1] for g in out.good], pa.string()))
            if pc.any(twice).as_py():
                first = dict(
                    zip(
                        pc.filter(cids, twice).to_pylist(),
                        pc.filter(fast.column("_row"), twice).to_pylist(),
                        strict=True,
                    )
                )
                drop, losers = set(), []  # the later row of each pair: (row number, CCCD)
                for g in list(out.good):
                    fast_row = first.get(g[1])
                    if fast_row is None:
                        continue
                    if g[0] < fast_row:  # the row-by-row one came first: the columnar one goes
                        drop.add(fast_row)
                        losers.append((fast_row, g[1]))
                    else:
                        out.good.remove(g)
                        losers.append((g[0], g[1]))
                cells = _cells_of(data, first_row, {row_no for row_no, _ in losers}, self.delimiter)
                out.rejected += [(row_no, cells[row_no], _twice(cid)) for row_no, cid in losers]
                if drop:
                    out.fast = fast = fast.filter(
                        pc.invert(pc.is_in(fast.column("_row"), value_set=pa.array(sorted(drop))))
                    )
        if self.count:
            count_new(fast_keys(fast) + Counter(g[3] for g in out.good), out.facets, out.events)
        return out

    def _check_rows(self, records, out: Checked, seen: set[str]) -> None:
        """Check (row number, cells) pairs with RowChecker into `out`; `seen`: the CCCDs accepted so far."""
        good, rejected = out.good, out.rejected
        fields, pick, width, order = self.fields, self.pick, self.width, self.order
        check = self.checker.check_row
        text = self.text
        for row_no, cells in records:
            if not any(cells):
                continue  # a blank line
            out.read += 1
            values = pick(cells) if len(cells) >= width else [cells[i] if i < len(cells) else "" for i in order]
            clean, errors = check(dict(zip(fields, values, strict=True)))
            if clean is None:
                rejected.append((row_no, cells, "; ".join(f"{e.field}: {e.reason}" for e in errors)))
                continue
            cid = clean[CITIZEN_ID]
            if cid in seen:
                rejected.append((row_no, cells, _twice(cid)))
                continue
            seen.add(cid)
            unit_id, sex, eth, rel, born, party, admitted = _ROLLUP(clean)
            key = (unit_id, sex, eth, rel, born.year, party is not None, admitted.year, admitted.month)
            if text:
                record = f"{ACTIVE}\t\t{self._date(admitted)}\t{copy_text(clean[DECISION])}\t{self.record_tail}"
                good.append((row_no, cid, (self._line(clean) + self.member_tail, record), key))
            else:
                good.append((row_no, cid, clean, key))

    def _date(self, day: date) -> str:
        iso = self._iso.get(day)
        if iso is None:
            iso = self._iso[day] = day.isoformat()
        return iso

    def _line(self, row: tuple) -> str:
        """A clean row in COPY text format. Checked text is NFC with its spaces collapsed, so only a
        backslash can need escaping: the slow path runs when the quick count says so."""
        parts = []
        nulls = 0
        for v in row:
            t = type(v)
            if t is str:
                parts.append(v)
            elif v is None:
                parts.append("\\N")
                nulls += 1
            elif t is int:
                parts.append(str(v))
            elif t is bool:
                parts.append("t" if v else "f")
            elif t is date:
                parts.append(self._date(v))
            else:
                parts.append(copy_text(v))
        line = "\t".join(parts)
        if line.count("\\") != nulls or line.count("\t") != len(row) - 1 or "\n" in line or "\r" in line:
            line = "\t".join(map(copy_text, row))
        return line


def _twice(cid: str) -> str:
    return f"citizen_id: Số CCCD {cid} xuất hiện hai lần trong tệp."


_WORKER: BatchChecker | None = None


def _worker_init(check: BatchChecker) -> None:
    global _WORKER
    _WORKER = check


def _worker_check(data: bytes, first_row: int) -> Checked:
    return _WORKER(data, first_row)


def _checked_batches(handle, offset: int, row: int, batch: int, check: BatchChecker, workers: int):
    """(Checked, raw bytes, first row number, last row number, offset after) per batch, in file order.

    With workers, up to `workers + 1` batches are in flight; the pool is forked once (the children
    inherit the checker and never touch the database) and ends with the generator.
    """
    source = _records(handle, offset, batch)
    if workers <= 0:
        # One batch is checked in a thread while the one before is written: Arrow's kernels and
        # the database round trips release the GIL, so checking and COPY overlap on two cores.
        with ThreadPoolExecutor(1, thread_name_prefix="import-check") as pool:
            ahead = None
            for data, n, end in source:
                job = (pool.submit(check, data, row), data, row, row + n, end)
                row += n
                if ahead is not None:
                    yield (ahead[0].result(), *ahead[1:])
                ahead = job
            if ahead is not None:
                yield (ahead[0].result(), *ahead[1:])
        return
    with multiprocessing.get_context("fork").Pool(workers, initializer=_worker_init, initargs=(check,)) as pool:
        pending: deque = deque()
        for data, n, end in source:
            pending.append((pool.apply_async(_worker_check, (data, row)), data, row, row + n, end))
            row += n
            if len(pending) > workers:
                result, *rest = pending.popleft()
                yield (result.get(), *rest)
        while pending:
            result, *rest = pending.popleft()
            yield (result.get(), *rest)


# ---------------------------------------------------------------- the import


@dataclass
class _Sink:
    """Where a batch's valid rows go, and what stays the same from batch to batch."""

    unit: Unit
    actor_id: int | None
    source: str
    report: ImportReport
    text: bool
    member_columns: str = ""
    record_columns: str = ""
    member_consts: tuple = ()  # the model defaults every row gets after the columns written
    record_consts: tuple = ()
    reason: str = ""
    chains: rollups.Chains = field(default_factory=rollups.Chains)
    _const_rows: int = 0
    _const_arrays: tuple = ()

    def csv_tables(self, fast, ids: list[int]):
        """The Arrow tables of the columnar pass's rows, as COPY … (FORMAT csv) writes them:
        members (id, ROW_COLUMNS, defaults) and their one "active" status record each."""
        n = fast.num_rows
        member_consts, record_consts = self._constants(n)
        id_column = pa.array(ids, pa.int64())
        members = pa.table({"id": id_column, **{c: fast.column(c) for c in ROW_COLUMNS}, **member_consts})
        records = pa.table({
            "member_id": id_column, "status": record_consts["status"], "previous_status": record_consts["previous_status"],
            "effective_on": fast.column("admitted_on"), "decision_number": fast.column("admission_decision_number"),
            **{k: v for k, v in record_consts.items() if k not in ("status", "previous_status")},
        })  # fmt: skip
        return members, records

    def _constants(self, n: int) -> tuple[dict, dict]:
        """The constant columns of `n` rows: slices of arrays built once for the largest batch so far
        (building them for every batch cost ~1 µs a row)."""
        if self._const_rows < n:
            self._const_rows = max(n, 1)
            self._const_arrays = (
                _const_columns(self.member_consts, self._const_rows),
                {
                    "status": pa.repeat(pa.scalar(ACTIVE), self._const_rows),
                    "previous_status": pa.repeat(pa.scalar(""), self._const_rows),
                    "reason": pa.repeat(pa.scalar(self.reason), self._const_rows),
                    "actor_id": pa.repeat(pa.scalar(self.actor_id, pa.int64()), self._const_rows),
                    **_const_columns(self.record_consts, self._const_rows),
                },
            )
        member, record = self._const_arrays
        return {k: a.slice(0, n) for k, a in member.items()}, {k: a.slice(0, n) for k, a in record.items()}


def _const_columns(consts: tuple, n: int) -> dict:
    """Constant columns for a CSV COPY: text as COPY reads it (JSON for dicts and lists), NULL for None."""
    out = {}
    for i, value in enumerate(consts):
        if value is None:
            out[f"k{i}"] = pa.nulls(n, pa.string())
        elif value is True or value is False:
            out[f"k{i}"] = pa.repeat(pa.scalar(value), n)
        else:
            out[f"k{i}"] = pa.repeat(pa.scalar(json.dumps(value) if isinstance(value, dict | list) else str(value)), n)
    return out


def _copy_spec(model, columns: list[str]) -> tuple[str, str, tuple]:
    """(the COPY column list, the text of the model defaults every row gets after `columns`, those defaults)."""
    writer = TableWriter(model, columns)
    names = ", ".join(connection.ops.quote_name(c) for c in [*columns, *writer.const_names])
    return names, "".join("\t" + copy_text(v) for v in writer.const_values), writer.const_values


def import_csv(
    path: str | Path,
    *,
    unit: Unit | str,
    batch: int = 10_000,
    checkpoint: str | Path | None = None,
    resume: bool = False,
    dry_run: bool = False,
    first_load: bool = False,
    workers: int = 0,
    columnar: bool = True,
    actor: Any = None,
    today: date | None = None,
    progress: Callable[[str], None] | None = None,
    fail_after_batches: int | None = None,
) -> ImportReport:
    """Import the members of a CSV file into `unit`'s branches. See the module docstring.

    `columnar=False` checks every row with RowChecker alone (the tests compare the two).
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
    if first_load and dry_run:
        raise ImportFileError("Chạy thử (--dry-run) không ghi gì: không dùng cùng --first-load.")
    errors_path = Path(f"{path}.errors.csv")
    cp_path = Path(checkpoint) if checkpoint else Path(f"{path}.checkpoint.json")
    report = ImportReport(errors_path=str(errors_path), checkpoint_path=str(cp_path))
    text = is_postgres()

    with path.open("rb") as handle:
        head = handle.readline()
        try:
            head_text = head.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ImportFileError("Tệp không phải UTF-8: hãy lưu lại dưới dạng “CSV UTF-8”.") from exc
        delimiter = ";" if head_text.count(";") > head_text.count(",") else ","
        header_cells = next(csv.reader([head_text], delimiter=delimiter))
        columns = map_file_headers(header_cells)
        order = sorted(columns)
        fields = [columns[i] for i in order]

        state = Checkpoint(
            file=str(path.resolve()), size=size, unit=unit.code, offset=len(head), first_load=first_load and text
        )  # fmt: skip
        if resume and cp_path.exists():
            saved = Checkpoint.load(cp_path)
            if (saved.file, saved.size, saved.unit) != (state.file, state.size, state.unit):
                raise ImportFileError("Điểm dừng không khớp với tệp hoặc đơn vị này; bỏ --resume để nhập lại từ đầu.")
            state = saved
            _recover_batch_mark(state, unit)
            _recover_dashboards_mark(state)
            if state.done:
                say("Tệp này đã nhập xong (theo điểm dừng).")
        elif resume:
            raise ImportFileError(f"Không có điểm dừng {cp_path} để tiếp tục.")

        actor_id = getattr(actor, "pk", None)
        reason = f"{REASON} {path.name}"[:200]
        sink = _Sink(unit=unit, actor_id=actor_id, source=path.name, report=report, text=text)
        record_tail = ""
        if text:
            sink.member_columns, member_tail, sink.member_consts = _copy_spec(Member, MEMBER_ROW_COLUMNS)
            sink.record_columns, record_consts, sink.record_consts = _copy_spec(MemberStatusRecord, RECORD_COLUMNS)
            record_tail = f"{copy_text(reason)}\t{copy_text(actor_id)}{record_consts}"
        sink.reason = reason
        row_checker = RowChecker(unit=unit, today=today)
        check = BatchChecker(
            checker=row_checker, order=order, fields=fields, delimiter=delimiter, text=text,
            member_tail=member_tail if text else "", record_tail=record_tail,
            columnar=ColumnarChecker(
                checker=row_checker, order=order, fields=fields, delimiter=delimiter, width=len(header_cells)
            ) if columnar else None,
        )  # fmt: skip

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
        if errors_file.tell() == 0:
            csv.writer(errors_file).writerow(["Dòng", *header_cells, "Lỗi"])
            errors_file.flush()
        state.errors_size = errors_file.tell() if not dry_run else 0
        if not dry_run and not resume:
            state.run = uuid.uuid4().hex
            state.save(cp_path)  # before any batch: the marks its batches commit are this run's

        seen_table = _open_seen_table() if dry_run else None
        indexes = _drop_indexes(state, cp_path, say) if state.first_load and not state.done else []
        check.count = state.rollups_from is None
        started = time.monotonic()
        read0 = state.read
        try:
            batches = _checked_batches(handle, state.offset, state.row, batch, check, 0 if state.done else workers)
            for checked, data, first_row, last_row, end in [] if state.done else batches:
                _run_batch(
                    checked, data, first_row, header_cells, delimiter, state, errors_file, sink,
                    dry_run=dry_run, seen_table=seen_table, end=end, last_row=last_row,
                )  # fmt: skip
                del checked, data
                pa.default_memory_pool().release_unused()  # Arrow's allocator keeps freed pages otherwise
                reset_queries()  # with DEBUG on, Django would keep the last 9,000 queries' text
                if not dry_run:
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
            _finish_first_load(indexes, state, cp_path, say)
        report.seconds = time.monotonic() - started
        report.read, report.imported, report.rejected = state.read, state.imported, state.rejected
    return report


def _drop_indexes(state: Checkpoint, cp_path: Path, say) -> list[SecondaryIndexes]:
    """First load: drop the secondary indexes and foreign keys of the member and status-record
    tables (not citizen_id's unique index), or take over those a previous run dropped."""
    keep = {Member: {"UNIQUE (citizen_id)"}, MemberStatusRecord: set()}
    if state.dropped:
        return [SecondaryIndexes.from_state(model, state.dropped[model._meta.db_table]) for model in keep]
    started = time.monotonic()
    indexes = [SecondaryIndexes(model, keep=definitions) for model, definitions in keep.items()]
    with transaction.atomic():
        try:
            rollups.require_register_open()  # one first load at a time
        except ValidationError as exc:
            raise ImportFileError(" ".join(exc.messages)) from exc
        for ix in indexes:
            ix.drop()
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {connection.ops.quote_name(Member._meta.db_table)}")
            state.rollups_from = cursor.fetchone()[0]
        # Nobody else writes members until the dashboards are added (RegisterLock says why).
        state.lock = RegisterLock.objects.create(reason=f"import_members --first-load {Path(state.file).name}").pk
    state.dropped = {ix.table: ix.state() for ix in indexes}
    state.save(cp_path)
    say(f"Lần nạp đầu: đã bỏ chỉ mục phụ và khóa ngoại, sẽ dựng lại khi xong ({time.monotonic() - started:.1f}s).")
    return indexes


def _finish_first_load(indexes: list[SecondaryIndexes], state: Checkpoint, cp_path: Path, say) -> None:
    """A first load's dashboards and index rebuild, both done even if the other fails. On
    PostgreSQL, outside a transaction, the rebuild runs meanwhile on a second connection: the two
    read the member table and write different ones, so each gets a core."""
    alongside = indexes and is_postgres() and not connection.in_atomic_block and state.rollups_from is not None
    if not alongside:
        try:
            _add_pending_rollups(state, cp_path, say)
        finally:
            if indexes:
                _restore_indexes(indexes, state, cp_path, say)
        return
    with ThreadPoolExecutor(1, thread_name_prefix="import-indexes") as pool:
        rebuild = pool.submit(_restore_indexes, indexes, state, cp_path, say, close=True)
        try:
            _add_pending_rollups(state, cp_path, say)
        finally:
            rebuild.result()


BATCH_ACTION = "import_members"
DASHBOARDS_ACTION = "import_dashboards"


def _recover_batch_mark(state: Checkpoint, unit: Unit) -> None:
    """On resume: if batches were committed past the checkpoint file (the process died between a
    batch's commit and the file's update), go on from the progress the last one's audit entry
    recorded. Its error rows were written before its commit, so the error file holds them."""
    if not state.run or state.done:
        return
    mark = (
        AuditEvent.objects.filter(
            target_type="organisations.unit", target_id=unit.pk, action=BATCH_ACTION, changes__run=state.run
        )
        .order_by("-id")
        .values_list("changes", flat=True)
        .first()
    )
    if mark is not None and mark["checkpoint"]["batches"] > state.batches:
        for name, value in mark["checkpoint"].items():
            setattr(state, name, value)


def _add_pending_rollups(state: Checkpoint, cp_path: Path, say) -> None:
    """A first load's dashboards and MemberStat, added once for every member it wrote (ids from
    `state.rollups_from` on: the RegisterLock keeps other member writes out meanwhile, and goes in
    this transaction). The same
    transaction writes an audit entry saying which members were added: if the process dies after
    the commit but before the checkpoint file says so, a resumed import reads it there
    (`_recover_dashboards_mark`) instead of adding them twice."""
    if state.rollups_from is None:
        if state.lock is not None:  # the dashboards were added (found on resume): free the register
            RegisterLock.objects.filter(pk=state.lock).delete()
            state.lock = None
            state.save(cp_path)
        return
    started = time.monotonic()
    say("Cộng số liệu bảng điều khiển…")
    table = connection.ops.quote_name(Member._meta.db_table)
    first = state.rollups_from
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX(id) FROM {table}")
        last = cursor.fetchone()[0]
        if last is not None and last >= first:
            rollups.load_added(first, last, admitted_from_members=True)  # one admission record each
            cursor.execute(
                f"SELECT unit_id, status, COUNT(*) FROM {table} WHERE id BETWEEN %s AND %s GROUP BY unit_id, status",
                [first, last],
            )
            counts = Counter({(unit_id, status): n for unit_id, status, n in cursor.fetchall()})
            add_member_stats(counts)
            AuditEvent.objects.create(
                target_type="organisations.unit", target_id=Unit.objects.get(code=state.unit).pk,
                action=DASHBOARDS_ACTION,
                summary=f"Cộng số liệu bảng điều khiển của {vi_int(sum(counts.values()))} đoàn viên nhập "
                f"(mã {first}–{last})",
                changes={"file": state.file, "size": state.size, "first_id": first, "last_id": last},
            )  # fmt: skip
        if state.lock is not None:
            RegisterLock.objects.filter(pk=state.lock).delete()
    state.rollups_from, state.lock = None, None
    state.save(cp_path)
    say(f"  xong số liệu ({time.monotonic() - started:.1f}s)")


def _recover_dashboards_mark(state: Checkpoint) -> None:
    """On resume: if dashboards were added past the checkpoint's mark (the process died between
    their commit and the checkpoint file), start after what the audit entry says was added."""
    if state.rollups_from is None:
        return
    mark = (
        AuditEvent.objects.filter(action=DASHBOARDS_ACTION, changes__file=state.file, changes__size=state.size)
        .order_by("-id")
        .values_list("changes", flat=True)
        .first()
    )
    if mark is not None and mark["last_id"] >= state.rollups_from:
        state.rollups_from = mark["last_id"] + 1


def _restore_indexes(
    indexes: list[SecondaryIndexes], state: Checkpoint, cp_path: Path, say, *, close: bool = False
) -> None:
    """Rebuild what a first load dropped; `close`: in a thread of its own, close its connection after."""
    try:
        started = time.monotonic()
        say("Dựng lại chỉ mục và khóa ngoại…")
        with transaction.atomic():
            for ix in indexes:
                ix.restore(say)
        with connection.cursor() as cursor:
            for model in (Member, MemberStatusRecord):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
        state.dropped = None
        state.save(cp_path)
        say(f"  xong chỉ mục ({time.monotonic() - started:.1f}s)")
    finally:
        if close:
            connection.close()


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


def _cells_of(data: bytes, first_row: int, rows: set[int], delimiter: str) -> dict[int, list[str]]:
    """The cells of some rows of a batch, read again (for the rare rows refused after checking)."""
    out = {}
    text = data.decode("utf-8", errors="replace")
    for row_no, cells in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), first_row + 1):
        if row_no in rows:
            out[row_no] = cells
    return out


def _run_batch(
    checked: Checked, data, first_row, header_cells, delimiter, state: Checkpoint, errors_file, sink: _Sink, *,
    dry_run, seen_table, end: int, last_row: int,
) -> None:  # fmt: skip
    """Write one batch and its rejected rows; on success `state` says where the next batch starts.

    The rejected rows go to the error file before the commit, and the progress after the batch
    (the checkpoint's fields) goes into the batch's audit entry, in its transaction: if the process
    dies between the commit and the checkpoint file, a resumed import reads where to go on there
    (`_recover_batch_mark`) instead of reading the batch again and calling its rows "already on record".
    """
    good, fast = checked.good, checked.fast
    fast_cids = fast.column("citizen_id") if fast is not None else pa.array([], pa.string())
    errors_start = errors_file.tell()
    # The unique index on citizen_id finds CCCDs already on record, so a write is first tried
    # without asking (most batches of a migration have none); if it fails, the batch is written
    # again less the CCCDs found on record, and once more if a concurrent registration interferes.
    for attempt in (1, 2, 3):
        ask = dry_run or attempt > 1
        on_record = _on_record(fast_cids.to_pylist() + [g[1] for g in good], seen_table) if ask else set()
        writable, fast_w, fast_again = good, fast, None
        if on_record:
            writable = [g for g in good if g[1] not in on_record]
            if fast is not None:
                mask = pc.is_in(fast_cids, value_set=pa.array(sorted(on_record), pa.string()))
                fast_w, fast_again = fast.filter(pc.invert(mask)), fast.filter(mask)
        rejected = list(checked.rejected) + _already_on_record(good, fast_again, on_record, data, first_row, delimiter)
        rejected.sort()
        imported = len(writable) + (fast_w.num_rows if fast_w is not None else 0)
        after = {
            "offset": end, "row": last_row, "read": state.read + checked.read, "imported": state.imported + imported,
            "rejected": state.rejected + len(rejected), "batches": state.batches + 1,
        }  # fmt: skip
        try:
            with transaction.atomic():
                _write_errors(errors_file, rejected, len(header_cells))
                after["errors_size"] = errors_file.tell()
                if dry_run:
                    _remember(seen_table, [g[1] for g in writable] + _cids(fast_w))
                else:
                    not_written = Counter(g[3] for g in good if g[1] in on_record) + fast_keys(fast_again)
                    _write(writable, fast_w, sink, checked, not_written, state, after)
            break
        except IntegrityError:
            errors_file.seek(errors_start)
            errors_file.truncate()
            if attempt == 3:
                raise
    for name, value in after.items():
        setattr(state, name, value)


def _already_on_record(good, fast_again, on_record: set[str], data, first_row, delimiter) -> list[tuple]:
    """The error rows for a batch's accepted rows whose CCCD turned out to be on record."""
    if not on_record:
        return []
    again = [(g[0], g[1]) for g in good if g[1] in on_record]
    if fast_again is not None:
        again += zip(fast_again.column("_row").to_pylist(), fast_again.column("citizen_id").to_pylist(), strict=True)
    cells = _cells_of(data, first_row, {row_no for row_no, _ in again}, delimiter)
    return [
        (
            row_no, cells.get(row_no, []),
            f"citizen_id: Số CCCD {cid} đã có hồ sơ đoàn viên (hoặc xuất hiện ở dòng trước trong tệp): "
            "mỗi người chỉ có một hồ sơ.",
        )
        for row_no, cid in again
    ]  # fmt: skip


def _write_errors(errors_file, rejected: list[tuple], ncols: int) -> None:
    """A batch's error rows, on disk before its transaction commits: fsynced, so that a power cut
    after the commit cannot lose them (the checkpoint file needs no fsync: the batch's audit entry
    holds the same progress, `_recover_batch_mark`). A batch without errors costs nothing."""
    if not rejected:
        return
    writer = csv.writer(errors_file)
    for row_no, cells, reasons in rejected:
        writer.writerow([row_no, *(cells + [""] * (ncols - len(cells)))[:ncols], reasons])
    errors_file.flush()
    os.fsync(errors_file.fileno())


def _cids(table) -> list[str]:
    return table.column("citizen_id").to_pylist() if table is not None else []


def _remember(table: str, numbers: list[str]) -> None:
    if not numbers:
        return
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} (citizen_id) VALUES (%s)", [(n,) for n in numbers])


def _write(
    writable: list, fast, sink: _Sink, checked: Checked, not_written: Counter, state: Checkpoint, after: dict
) -> None:
    """One batch's valid rows (`fast`: the columnar pass's, an Arrow table; `writable`: the others),
    their status records, MemberStat, the dashboards and an audit entry, which also records this
    run's progress after the batch (`after`). `not_written`: the rollup keys of the batch's
    accepted rows found on record after all."""
    n_fast = fast.num_rows if fast is not None else 0
    if not writable and not n_fast:
        return
    ids = reserve_member_ids(n_fast + len(writable))
    if writable and n_fast:  # ids follow the rows' order in the file
        rows = fast.column("_row").to_pylist() + [g[0] for g in writable]
        by_row = sorted(range(len(rows)), key=rows.__getitem__)
        placed = [0] * len(rows)
        for member_id, position in zip(ids, by_row, strict=True):
            placed[position] = member_id
        fast_ids, slow_ids = placed[:n_fast], placed[n_fast:]
    else:
        fast_ids, slow_ids = ids[:n_fast], ids[n_fast:]
    if sink.text:
        q = connection.ops.quote_name
        member_t, record_t = q(Member._meta.db_table), q(MemberStatusRecord._meta.db_table)
        with connection.cursor() as cursor, connection.wrap_database_errors:  # psycopg's errors as Django's
            raw = cursor.cursor
            if n_fast:
                members, records = sink.csv_tables(fast, fast_ids)
                with raw.copy(f"COPY {member_t} ({sink.member_columns}) FROM STDIN (FORMAT csv)") as copy:
                    copy.write(_csv_bytes(members))
                with raw.copy(f"COPY {record_t} ({sink.record_columns}) FROM STDIN (FORMAT csv)") as copy:
                    copy.write(_csv_bytes(records))
            if writable:
                with raw.copy(f"COPY {member_t} ({sink.member_columns}) FROM STDIN") as copy:
                    copy.write("".join([f"{i}\t{g[2][0]}\n" for i, g in zip(slow_ids, writable, strict=True)]))
                with raw.copy(f"COPY {record_t} ({sink.record_columns}) FROM STDIN") as copy:
                    copy.write("".join([f"{i}\t{g[2][1]}\n" for i, g in zip(slow_ids, writable, strict=True)]))
    else:
        load = MemberLoad(actor_id=sink.actor_id, columns=MEMBER_ROW_COLUMNS, incremental=True, dashboards=False)
        reason = f"{REASON} {sink.source}"[:200]
        with load:
            cleans = (table_rows(fast) if n_fast else []) + [g[2] for g in writable]
            for member_id, clean in sorted(zip(fast_ids + slow_ids, cleans, strict=True), key=itemgetter(0)):
                load.add((member_id, *clean), ((ACTIVE, "", clean[ADMITTED], clean[DECISION], reason),))
        load.finish()
    if state.rollups_from is None:
        _add_rollups(checked, not_written, sink, stats=sink.text)
    AuditEvent.objects.create(
        actor_id=sink.actor_id, target_type="organisations.unit", target_id=sink.unit.pk, action=BATCH_ACTION,
        summary=f"Nhập {vi_int(len(ids))} đoàn viên từ tệp {sink.source} (mã {ids[0]}–{ids[-1]})"[:300],
        changes={
            "file": sink.source, "members": len(ids), "first_id": ids[0], "last_id": ids[-1], "run": state.run,
            "checkpoint": after,
        },
    )  # fmt: skip


def _csv_bytes(table) -> memoryview:
    """The table as CSV lines, in Arrow's buffer (COPY reads it without a copy into Python bytes)."""
    out = pa.BufferOutputStream()
    pv.write_csv(table, out, pv.WriteOptions(include_header=False, quoting_style="needed"))
    return memoryview(out.getvalue())


def _add_rollups(checked: Checked, not_written: list[tuple], sink: _Sink, *, stats: bool) -> None:
    """MemberStat (unless MemberLoad did it) and the dashboard rollups: the batch's per-branch
    counts, less the rows not written, added to each branch's chain of ancestors."""
    facets, events = Counter(checked.facets), Counter(checked.events)
    count_new(not_written, facets, events, -1)
    branches = {k[0] for k, n in facets.items() if n}
    sink.chains.need(branches)
    sink.report.touched_units.update(branches)
    deltas = rollups.Deltas(sink.chains)
    for (unit_id, dim, key), n in facets.items():
        if n:
            for unit in sink.chains[unit_id]:
                deltas.facets[(unit, dim, key)] += n
    for (unit_id, year, month, kind), n in events.items():
        if n:
            for unit in sink.chains[unit_id]:
                deltas.events[(unit, year, month, kind)] += n
    if stats:
        add_member_stats(Counter({(k[0], ACTIVE): n for k, n in facets.items() if k[1] == "status" and n}))
    deltas.apply()
