"""Imports in the browser and the API: upload → check (preview) → confirm. Nothing changes before confirm.

`import_upload` stores the file and checks it: inside the request for small files, as a background
job ("import.check") for larger ones. The check reads every row (`readers`), checks it with the shared
`rows.RowChecker`, matches people by CCCD (an update inside the batch unit's subtree, a conflict
outside it), finds duplicates within the file, and asks `members_prepare` whether each new record
would be accepted — all without writing to the registry. `import_confirm` re-checks and writes:
creations through `members_prepare`/`members_insert` (status records, rollups and history exact),
updates through `member_update`, units through `organisations.services.unit_create`. Mode "all"
writes the whole file or nothing; mode "valid" writes each valid row whole and skips the others.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import date, datetime, time
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from doanso.core import audit, scope, vn
from doanso.core.models import Ethnicity, Religion
from doanso.jobs import services as job_services
from doanso.jobs.registry import register_task
from doanso.members import services as member_services
from doanso.members.choices import Sex
from doanso.members.models import Member
from doanso.organisations import services as unit_services
from doanso.organisations.choices import ALLOWED_CHILDREN, MEMBER_HOLDING_KINDS, UnitKind
from doanso.organisations.models import Unit

from . import headers as H
from .models import ImportBatch, ImportKind, ImportMode, ImportRow, ImportState, Outcome
from .readers import FORMULA_NO_VALUE, FileRefused, read_table
from .rows import CellError, RowChecker, parse_date

log = logging.getLogger(__name__)

CHUNK = 2000
PERMS = {ImportKind.MEMBERS: "member.manage", ImportKind.UNITS: "unit.manage"}
FORMULA_REASON = "Ô có công thức nhưng chưa có giá trị đã tính: hãy mở tệp bằng Excel, lưu lại rồi tải lên."
GENERIC_ERROR = "Có lỗi khi đọc tệp. Hãy thử lại; nếu vẫn lỗi, báo cho quản trị hệ thống (mã lần nhập {pk})."
FK_FIELDS = {"ethnicity", "religion", "permanent_ward", "current_ward"}


def import_root() -> Path:
    return Path(settings.IMPORT_ROOT)


def max_bytes() -> int:
    return settings.IMPORT_MAX_MB * 1024 * 1024


def size_text(n: int) -> str:
    return f"{n / 1024 / 1024:.1f}".replace(".", ",") + " MB"


# ---------------------------------------------------------------- upload


def _check_kind(kind: str) -> str:
    if kind not in ImportKind.values:
        raise ValidationError({"kind": "Loại dữ liệu không hợp lệ: chọn “Đoàn viên” hoặc “Đơn vị”."})
    return kind


def import_upload(
    *, actor: Any, unit: Unit, kind: str = ImportKind.MEMBERS, file: IO[bytes], file_name: str, sheet: str = ""
) -> ImportBatch:
    """Store an uploaded file for `unit` and check it (or queue the check). Changes nothing in the registry.

    A file that is too large, empty or not a spreadsheet is refused at once (ValidationError, nothing
    kept). Problems found while reading it (several sheets, no header row, missing columns, merged
    header cells) end the kept batch as "failed" with the message — the official may then choose a sheet.
    """
    kind = _check_kind(kind)
    scope.require(actor, PERMS[kind], unit)
    name = Path(str(file_name or "tep")).name[:200] or "tep"
    if not name.lower().endswith((".xlsx", ".csv", ".txt", ".xlsm", ".xls")):
        raise ValidationError({"file": f"Tệp “{name}”: chỉ nhận tệp Excel (.xlsx) hoặc CSV (.csv)."})
    root = import_root()
    (root / "tmp").mkdir(parents=True, exist_ok=True)
    tmp = root / "tmp" / f"{uuid.uuid4().hex}.upload"
    size = 0
    limit = max_bytes()
    try:
        with open(tmp, "wb") as out:
            chunks = file.chunks() if hasattr(file, "chunks") else iter(lambda: file.read(1 << 20), b"")
            for chunk in chunks:
                size += len(chunk)
                if size > limit:
                    total = getattr(file, "size", None) or size
                    raise ValidationError(
                        {"file": f"Tệp “{name}” nặng {size_text(total)}, quá giới hạn {settings.IMPORT_MAX_MB} MB. "
                                 "Hãy chia danh sách thành nhiều tệp nhỏ hơn (ví dụ mỗi đoàn cơ sở một tệp)."}
                    )  # fmt: skip
                out.write(chunk)
        if size == 0:
            raise ValidationError({"file": f"Tệp “{name}” rỗng (0 byte): hãy kiểm tra lại tệp đã lưu."})
        with open(tmp, "rb") as fh:
            from .readers import sniff_type

            file_type = sniff_type(fh.read(4096), name)
        rel = Path(timezone.localdate().strftime("%Y/%m")) / f"{uuid.uuid4().hex}{Path(name).suffix.lower()[:6]}"
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        tmp.replace(root / rel)
    finally:
        if tmp.exists():
            tmp.unlink()
    batch = ImportBatch.objects.create(
        owner=actor, unit=unit, kind=kind, file_name=name, file_size=size, file_path=str(rel),
        file_type="xlsx" if file_type == "zip" else "csv", sheet=vn.nfc(sheet)[:100],
    )  # fmt: skip
    audit.record(
        actor=actor,
        obj=unit,
        action="import_upload",
        summary=f"Tải lên tệp nhập {ImportKind(kind).label.lower()}: {name}",
    )
    _start_check(actor=actor, batch=batch)
    batch.refresh_from_db()
    return batch


def _start_check(*, actor: Any, batch: ImportBatch) -> None:
    if batch.file_size <= settings.IMPORT_SYNC_MAX_KB * 1024:
        import_check(batch=batch)
        return
    with transaction.atomic():
        job = job_services.task_start(
            actor=actor, code="import.check", unit=batch.unit, params={"batch": batch.pk},
            label=f"Kiểm tra tệp nhập “{batch.file_name}” — {batch.unit.name}",
        )  # fmt: skip
        ImportBatch.objects.filter(pk=batch.pk).update(job=job, state=ImportState.CHECKING)


@transaction.atomic
def import_choose_sheet(*, actor: Any, batch: ImportBatch, sheet: str) -> ImportBatch:
    """Check again the kept file of a batch, reading the sheet the official chose."""
    batch = _lock(actor, batch)
    if batch.state not in (ImportState.FAILED, ImportState.CHECKED):
        raise ValidationError({"sheet": "Lần nhập này đã được xác nhận hoặc đang xử lý."})
    if vn.nfc(sheet) not in batch.sheets:
        raise ValidationError({"sheet": "Hãy chọn một trang tính có trong tệp."})
    ImportRow.objects.filter(batch=batch).delete()
    batch.sheet = vn.nfc(sheet)
    batch.state = ImportState.CHECKING
    batch.message = ""
    batch.save(update_fields=["sheet", "state", "message"])
    _start_check(actor=actor, batch=batch)
    batch.refresh_from_db()
    return batch


def _lock(actor: Any, batch: ImportBatch) -> ImportBatch:
    batch = ImportBatch.objects.select_for_update().select_related("unit", "owner").get(pk=batch.pk)
    scope.require(actor, PERMS[batch.kind], batch.unit)
    return batch


# ---------------------------------------------------------------- check


def _plain(value: Any) -> Any:
    """A cell as JSON: dates as dd/mm/yyyy (which the checker reads back the same)."""
    if value is FORMULA_NO_VALUE:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y") if value.time() == time(0) else value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def import_check(*, batch: ImportBatch, progress: Callable[[int, int | None], None] | None = None) -> ImportBatch:
    """Read and check every row of the batch's file; keep the result. Never writes to the registry."""
    batch = ImportBatch.objects.select_related("unit", "owner").get(pk=batch.pk)
    ImportRow.objects.filter(batch=batch).delete()
    try:
        required = list(H.REQUIRED[batch.kind])
        if batch.kind == ImportKind.MEMBERS and batch.unit.kind in MEMBER_HOLDING_KINDS:
            required.remove("branch_code")  # a branch imports its own members
        table = read_table(
            import_root() / batch.file_path, name=batch.file_name, kind=batch.kind, sheet=batch.sheet, required=required
        )
    except FileRefused as exc:
        ImportBatch.objects.filter(pk=batch.pk).update(
            state=ImportState.FAILED, message=" ".join(exc.messages), sheets=exc.sheets or batch.sheets,
            checked_at=timezone.now(),
        )  # fmt: skip
        batch.refresh_from_db()
        return batch
    batch.encoding = table.encoding
    batch.sheet = table.sheet
    batch.sheets = table.sheets
    batch.header_row = table.header_row
    batch.headers = table.headers
    batch.columns = {str(i): f for i, f in table.mapping.columns.items()}
    batch.unknown_columns = table.mapping.unknown
    batch.save(update_fields=["encoding", "sheet", "sheets", "header_row", "headers", "columns", "unknown_columns"])
    checker = MemberCheck(batch) if batch.kind == ImportKind.MEMBERS else UnitCheck(batch)
    counts: Counter = Counter()
    done = 0
    chunk: list[tuple[int, list[Any]]] = []
    try:
        for item in table.rows:
            chunk.append(item)
            if len(chunk) >= CHUNK:
                counts.update(checker.check_chunk(chunk))
                done += len(chunk)
                chunk = []
                if progress:
                    progress(done, table.total_hint)
        if chunk:
            counts.update(checker.check_chunk(chunk))
            done += len(chunk)
        counts.update(checker.finish())
    except Exception:
        log.exception("import check of batch %s failed", batch.pk)
        ImportRow.objects.filter(batch=batch).delete()
        ImportBatch.objects.filter(pk=batch.pk).update(
            state=ImportState.FAILED, message=GENERIC_ERROR.format(pk=batch.pk), checked_at=timezone.now()
        )
        raise
    message = ""
    if done == 0:
        message = f"Tệp “{batch.file_name}” chỉ có dòng tiêu đề, không có dòng dữ liệu nào."
    ImportBatch.objects.filter(pk=batch.pk).update(
        state=ImportState.FAILED if done == 0 else ImportState.CHECKED, message=message, total_rows=done,
        checked_at=timezone.now(), **_count_fields(counts),
    )  # fmt: skip
    batch.refresh_from_db()
    return batch


def _count_fields(counts: Counter) -> dict[str, int]:
    return {f"{o}_count": counts.get(o, 0) for o in Outcome.values}


class _Check:
    def __init__(self, batch: ImportBatch):
        self.batch = batch
        self.kind = batch.kind
        self.fields = {int(i): f for i, f in batch.columns.items()}
        self.labels = {f: batch.headers[i] for i, f in self.fields.items()}

    def label(self, field: str) -> str:
        return self.labels.get(field) or H.label(field, self.kind)

    def raw(self, cells: list[Any]) -> tuple[dict[str, Any], list[CellError]]:
        raw, formula_errors = {}, []
        for i, field in self.fields.items():
            value = cells[i] if i < len(cells) else None
            if value is FORMULA_NO_VALUE:
                formula_errors.append(CellError(field, "", FORMULA_REASON))
                value = None
            raw[field] = value
        return raw, formula_errors

    def error_list(self, errors: Iterable[CellError]) -> list[list[str]]:
        return [[self.label(e.field), e.value, e.reason] for e in errors]

    def save(self, rows: list[ImportRow]) -> Counter:
        ImportRow.objects.bulk_create(rows, batch_size=1000)
        return Counter(r.outcome for r in rows)

    def finish(self) -> Counter:
        return Counter()


def _member_data(clean: dict[str, Any], only: set[str] | None = None) -> dict[str, Any]:
    """The checker's clean row as `members.services` field data (foreign keys as their codes)."""
    data = {}
    for f in member_services.EDITABLE_FIELDS:
        if only is not None and f not in only:
            continue
        data[f] = clean[f"{f}_id" if f in FK_FIELDS else f]
    return data


def _display(field: str, value: Any) -> Any:
    if value in (None, ""):
        return ""
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if field == "sex":
        return str(Sex(value).label) if value in Sex.values else value
    if field == "phone":
        return vn.format_phone(value)
    if field == "ethnicity":
        return str(Ethnicity.objects.filter(pk=value).values_list("name", flat=True).first() or value)
    if field == "religion":
        return str(Religion.objects.filter(pk=value).values_list("name", flat=True).first() or value)
    if isinstance(value, bool):
        return "có" if value else "không"
    return value


class MemberCheck(_Check):
    def __init__(self, batch: ImportBatch):
        super().__init__(batch)
        self.checker = RowChecker(unit=batch.unit, accept_unknown_prefix=True)
        self.own_branch = batch.unit.code if batch.unit.kind in MEMBER_HOLDING_KINDS else None
        self.seen: dict[str, int] = {}
        self.units: dict[int, Unit] = {}
        self.actor = batch.owner

    def row_raw(self, cells: list[Any]) -> tuple[dict[str, Any], list[CellError]]:
        raw, errors = self.raw(cells)
        if self.own_branch and raw.get("branch_code") in (None, ""):
            raw["branch_code"] = self.own_branch  # a branch imports its own members without the column
        return raw, errors

    def unit(self, pk: int) -> Unit:
        if pk not in self.units:
            self.units[pk] = Unit.objects.get(pk=pk)
        return self.units[pk]

    def update_fields(self, raw: dict[str, Any]) -> set[str]:
        """Fields an update changes: the columns of the file with a value (an empty cell erases nothing)."""
        return {f for f, v in raw.items() if v not in (None, "") and f in member_services.EDITABLE_FIELDS}

    def check_chunk(self, chunk: list[tuple[int, list[Any]]]) -> Counter:
        rows: list[ImportRow] = []
        checked = []
        for number, cells in chunk:
            raw, errors = self.row_raw(cells)
            clean, more = self.checker.check(raw)
            errors = errors + more
            warnings = list(self.checker.warnings)
            citizen_id = vn.clean_citizen_id(clean["citizen_id"] if clean else raw.get("citizen_id"))
            if citizen_id and isinstance(raw.get("citizen_id"), int | float):
                citizen_id = f"{int(raw['citizen_id']):012d}"
            if citizen_id:
                first = self.seen.get(citizen_id)
                if first is not None:
                    errors.append(
                        CellError("citizen_id", citizen_id, f"Số CCCD trùng với dòng {first} trong cùng tệp.")
                    )
                else:
                    self.seen[citizen_id] = number
            row = ImportRow(batch=self.batch, number=number, cells=[_plain(c) for c in cells], warnings=warnings)
            if errors:
                row.outcome = Outcome.ERROR
                row.errors = self.error_list(errors)
                clean = None
            rows.append(row)
            checked.append((row, raw, clean))
        ids = [clean["citizen_id"] for _, _, clean in checked if clean]
        on_record = {
            m.citizen_id: m for m in Member.objects.select_related("unit").filter(citizen_id__in=ids)
        }  # fmt: skip
        creates = []
        for row, raw, clean in checked:
            if clean is None:
                continue
            existing = on_record.get(clean["citizen_id"])
            if existing is None:
                creates.append((row, clean))
            elif existing.unit_path.startswith(self.batch.unit.path):
                self.classify_update(row, raw, clean, existing)
            else:
                row.outcome = Outcome.CONFLICT
                row.target_id = existing.pk if scope.in_scope(self.actor, existing.unit) else None
                where = f": {existing.unit.name}" if row.target_id else ""
                reason = f"Đã đăng ký ở đơn vị khác{where}."
                row.errors = [[self.label("citizen_id"), clean["citizen_id"], reason]]
        if creates:
            with transaction.atomic():  # members_prepare locks the branches for the time of the check
                results = member_services.members_prepare(
                    actor=self.actor,
                    rows=[(self.unit(clean["unit_id"]), _member_data(clean)) for _, clean in creates],
                    accept_warnings=True,
                )
            for (row, _clean), result in zip(creates, results, strict=True):
                if isinstance(result, Exception):
                    row.outcome = Outcome.ERROR
                    row.errors = self.exception_errors(result)
                else:
                    row.outcome = Outcome.CREATE
                    row.target_label = self.unit(_clean["unit_id"]).name
        return self.save(rows)

    def exception_errors(self, exc: Exception) -> list[list[str]]:
        if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
            return [
                [self.label(f), "", " ".join(e.messages)] for f, errs in exc.error_dict.items() for e in errs
            ]  # fmt: skip
        messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
        return [["", "", " ".join(messages)]]

    def classify_update(self, row: ImportRow, raw: dict[str, Any], clean: dict[str, Any], member: Member) -> None:
        data = _member_data(clean, only=self.update_fields(raw))
        row.target_id = member.pk
        row.target_label = f"{member.full_name} — {member.unit.name}"
        try:
            member_services.clean_member_data(data, instance=member, accept_warnings=True)
        except ValidationError as exc:
            row.outcome = Outcome.ERROR
            row.errors = self.exception_errors(exc)
            return
        changes = {}
        for f, new in data.items():
            attname = f"{f}_id" if f in FK_FIELDS else f
            old = getattr(member, attname)
            if f == "full_name":
                new = vn.nfc(new)
            if (old or "") != (new or ""):
                changes[self.label(f)] = [_display(f, old), _display(f, new)]
        if member.unit_id != clean["unit_id"]:
            row.warnings = [
                *row.warnings,
                f"Đang sinh hoạt tại {member.unit.name}: nhập dữ liệu không chuyển chi đoàn "
                "(dùng nghiệp vụ Chuyển sinh hoạt).",
            ]
        row.changes = changes
        row.outcome = Outcome.UPDATE if changes else Outcome.SAME


# ---------------------------------------------------------------- units


def _kind_table() -> dict[str, str]:
    table = {}
    for value, label in UnitKind.choices:
        table[value] = value
        table[vn.fold(str(label))] = value
        for part in str(label).split("("):
            table[vn.fold(part)] = value
    table.update({
        "chi doan": UnitKind.BRANCH, "doan co so": UnitKind.GRASSROOTS, "chi doan co so": UnitKind.GRASSROOTS_BRANCH,
        "lien chi doan": UnitKind.FACULTY_UNION, "tinh doan": UnitKind.PROVINCE, "thanh doan": UnitKind.PROVINCE,
        "huyen doan": UnitKind.DISTRICT, "quan doan": UnitKind.DISTRICT, "doan khoi": UnitKind.INTERMEDIATE,
        "doan cap tren co so": UnitKind.INTERMEDIATE, "doan xa": UnitKind.GRASSROOTS, "doan phuong": UnitKind.GRASSROOTS,
    })  # fmt: skip
    return table


KINDS = _kind_table()


class UnitCheck(_Check):
    """Units are checked once the whole file is read: a parent may come after its children."""

    def __init__(self, batch: ImportBatch):
        super().__init__(batch)
        self.pending: list[tuple[ImportRow, dict[str, Any], list[CellError]]] = []

    def check_chunk(self, chunk: list[tuple[int, list[Any]]]) -> Counter:
        for number, cells in chunk:
            raw, errors = self.raw(cells)
            row = ImportRow(batch=self.batch, number=number, cells=[_plain(c) for c in cells])
            self.pending.append((row, raw, errors))
        return Counter()

    def finish(self) -> Counter:
        rows = plan_units(self.batch.unit, [(row.number, raw, errors) for row, raw, errors in self.pending])
        out = []
        for (row, _raw, _e), plan in zip(self.pending, rows, strict=True):
            row.outcome = plan["outcome"]
            row.errors = self.error_list(plan["errors"])
            row.target_id = plan.get("target_id")
            row.target_label = plan.get("parent_name", "")
            out.append(row)
        return self.save(out)


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return vn.nfc("" if value is None else str(value))


def plan_units(root: Unit, rows: list[tuple[int, dict[str, Any], list[CellError]]]) -> list[dict[str, Any]]:
    """Check a sheet of units against the tree under `root`: each row's outcome, errors and parent.

    A row's parent is an existing unit of the subtree or another row of the file; a row whose parent
    row is refused is refused too. Rows come back in file order; `depth` orders their creation.
    """
    codes = [_text(raw.get("code")).lower() for _, raw, _ in rows]
    parents = [_text(raw.get("parent_code")).lower() for _, raw, _ in rows]
    wanted = {c for c in codes + parents if c}
    existing = {
        u.lc: u for u in Unit.objects.annotate(lc=Lower("code")).filter(lc__in=list(wanted)).select_related("parent")
    } if wanted else {}  # fmt: skip
    in_file: dict[str, int] = {}
    plans: list[dict[str, Any]] = []
    for index, ((number, raw, errors), code) in enumerate(zip(rows, codes, strict=True)):
        errors = list(errors)
        plan: dict[str, Any] = {"number": number, "errors": errors, "code": _text(raw.get("code"))}
        name = _text(raw.get("name"))
        kind_text = _text(raw.get("kind"))
        kind = KINDS.get(vn.fold(kind_text)) if kind_text else None
        plan.update(name=name, kind=kind, short_name=_text(raw.get("short_name"))[:40])
        if not code:
            errors.append(CellError("code", "", "Mã đơn vị: không được để trống."))
        elif not unit_services.CODE_RE.match(plan["code"]):
            errors.append(
                CellError(
                    "code", plan["code"], "Mã đơn vị gồm 2–30 ký tự chữ, số, dấu chấm, gạch ngang hoặc gạch dưới."
                )
            )
        elif code in in_file:
            errors.append(
                CellError(
                    "code", plan["code"], f"Mã đơn vị trùng với dòng {plans[in_file[code]]['number']} trong cùng tệp."
                )
            )
        else:
            in_file[code] = index
        if not name:
            errors.append(CellError("name", "", "Tên đơn vị: không được để trống."))
        if kind is None:
            errors.append(
                CellError("kind", kind_text, "Loại đơn vị không hợp lệ (ví dụ: Chi đoàn, Đoàn cơ sở, Liên chi đoàn).")
            )
        founded = raw.get("founded_on")
        plan["founded_on"] = None
        if founded not in (None, ""):
            day = parse_date(founded)
            if day is None:
                errors.append(
                    CellError("founded_on", _text(founded), "Ngày thành lập: không đúng định dạng ngày (dd/mm/yyyy).")
                )
            elif day > timezone.localdate():
                errors.append(CellError("founded_on", _text(founded), "Ngày thành lập không được sau ngày hôm nay."))
            plan["founded_on"] = day
        if not parents[index]:
            errors.append(CellError("parent_code", "", "Mã đơn vị cấp trên: không được để trống."))
        plans.append(plan)
    # Existing codes: the same unit already under the same parent is "no change"; anything else is refused.
    for plan, code, parent_code in zip(plans, codes, parents, strict=True):
        unit = existing.get(code)
        if unit is None or plan["errors"]:
            continue
        same = unit.path.startswith(root.path) and unit.parent is not None and unit.parent.code.lower() == parent_code
        if same and vn.fold(unit.name) == vn.fold(plan["name"]):
            plan["outcome"], plan["target_id"] = Outcome.SAME, unit.pk
        else:
            plan["errors"].append(CellError("code", plan["code"], f"Mã đơn vị “{plan['code']}” đã được dùng."))
    # Parents: resolve, in as many passes as the file is deep.
    resolved: dict[int, tuple[str, int]] = {}  # row index → (parent kind, depth)
    progress = True
    while progress:
        progress = False
        for index, (plan, parent_code) in enumerate(zip(plans, parents, strict=True)):
            if index in resolved or plan["errors"] or plan.get("outcome") or not parent_code:
                continue
            parent = existing.get(parent_code)
            if parent_code in in_file and in_file[parent_code] != index:
                p_index = in_file[parent_code]
                p_plan = plans[p_index]
                if p_plan["errors"]:
                    plan["errors"].append(CellError(
                        "parent_code", parent_code.upper(), f"Đơn vị cấp trên (dòng {p_plan['number']}) có lỗi nên dòng này chưa nhập được."
                    ))  # fmt: skip
                    progress = True
                    continue
                if p_plan.get("outcome") == Outcome.SAME:
                    parent = Unit.objects.get(pk=p_plan["target_id"])
                elif p_index in resolved:
                    _check_child(plan, p_plan["kind"], p_plan["name"])
                    resolved[index] = (plan["kind"], resolved[p_index][1] + 1)
                    plan["parent_row"], plan["parent_name"] = p_index, p_plan["name"]
                    progress = True
                    continue
                else:
                    continue  # its parent is not placed yet: next pass
            if parent is None:
                plan["errors"].append(
                    CellError(
                        "parent_code",
                        parent_code.upper(),
                        f"Không có đơn vị mã “{parent_code.upper()}” trong tệp hay trong hệ thống.",
                    )
                )
            elif not parent.path.startswith(root.path):
                plan["errors"].append(
                    CellError("parent_code", parent.code, f"Đơn vị “{parent.name}” nằm ngoài phạm vi của {root.name}.")
                )
            elif not parent.is_open:
                plan["errors"].append(
                    CellError("parent_code", parent.code, f"Đơn vị cấp trên “{parent.name}” đã giải thể.")
                )
            else:
                _check_child(plan, parent.kind, parent.name)
                resolved[index] = (plan["kind"], 1)
                plan["parent_id"], plan["parent_name"] = parent.pk, parent.name
            progress = True
    for index, plan in enumerate(plans):
        if plan.get("outcome"):
            continue
        if index not in resolved and not plan["errors"]:
            plan["errors"].append(
                CellError(
                    "parent_code",
                    parents[index].upper(),
                    "Không xác định được đơn vị cấp trên (các dòng trỏ vòng vào nhau).",
                )
            )
        plan["outcome"] = Outcome.ERROR if plan["errors"] else Outcome.CREATE
        plan["depth"] = resolved.get(index, (None, 0))[1]
    return plans


def _check_child(plan: dict[str, Any], parent_kind: str, parent_name: str) -> None:
    if plan["kind"] not in ALLOWED_CHILDREN.get(parent_kind, set()):
        plan["errors"].append(CellError(
            "kind", str(UnitKind(plan["kind"]).label), f"“{UnitKind(plan['kind']).label}” không thể trực thuộc “{UnitKind(parent_kind).label}” ({parent_name}).",
        ))  # fmt: skip


# ---------------------------------------------------------------- confirm


def import_confirm(*, actor: Any, batch: ImportBatch, mode: str = ImportMode.ALL) -> ImportBatch:
    """Write a checked batch: mode "all" (the whole file or nothing) or "valid" (the valid rows only)."""
    with transaction.atomic():
        batch = _lock(actor, batch)
        if mode not in ImportMode.values:
            raise ValidationError(
                {"mode": "Cách nhập không hợp lệ: chọn “all” (tất cả) hoặc “valid” (chỉ dòng hợp lệ)."}
            )
        if batch.state != ImportState.CHECKED:
            raise ValidationError(
                {"__all__": f"Lần nhập này {batch.get_state_display().lower()}: không xác nhận được nữa."}
            )
        if mode == ImportMode.ALL and batch.blocked_count:
            raise ValidationError({"mode": (
                f"Tệp còn {batch.error_count} dòng lỗi và {batch.conflict_count} dòng đã đăng ký ở đơn vị khác: "
                "không có gì được ghi. Hãy tải danh sách dòng lỗi, sửa rồi tải lên lại, "
                "hoặc chọn “Chỉ nhập các dòng hợp lệ”."
            )})  # fmt: skip
        if not batch.writable_count:
            raise ValidationError({"__all__": "Không có dòng nào để thêm mới hay cập nhật."})
        batch.state = ImportState.CONFIRMING
        batch.mode = mode
        batch.message = ""
        batch.save(update_fields=["state", "mode", "message"])
        inline = batch.total_rows <= _sync_rows()
        if not inline:
            job = job_services.task_start(
                actor=actor, code="import.confirm", unit=batch.unit, params={"batch": batch.pk, "mode": mode},
                label=f"Ghi dữ liệu từ tệp “{batch.file_name}” — {batch.unit.name}",
            )  # fmt: skip
            ImportBatch.objects.filter(pk=batch.pk).update(job=job)
    if inline:
        import_write(actor=actor, batch=batch, mode=mode)
    batch.refresh_from_db()
    return batch


def _sync_rows() -> int:
    # about 150 bytes per row: the same threshold as the check, in rows
    return max(1, settings.IMPORT_SYNC_MAX_KB * 1024 // 150)


class _Refused(Exception):
    def __init__(self, failures: list[tuple[ImportRow, list[list[str]]]]):
        self.failures = failures


def import_write(
    *, actor: Any, batch: ImportBatch, mode: str, progress: Callable[[int, int | None], None] | None = None
) -> ImportBatch:
    """The writing itself (in the request, or in the worker). Re-checks every row; all-or-nothing in mode "all"."""
    try:
        with transaction.atomic():
            batch = _lock(actor, batch)
            if batch.state != ImportState.CONFIRMING:
                return batch
            if batch.kind == ImportKind.MEMBERS:
                created, updated, failures, written = _write_members(actor, batch, mode, progress)
            else:
                created, updated, failures, written = _write_units(actor, batch, mode)
            if failures and mode == ImportMode.ALL:
                raise _Refused(failures)
            _mark_failures(failures)
            ImportRow.objects.bulk_update(written, ["written", "target_id"], batch_size=1000)
            counts = Counter(ImportRow.objects.filter(batch=batch).values_list("outcome", flat=True))
            ImportBatch.objects.filter(pk=batch.pk).update(
                state=ImportState.CONFIRMED, created_count=created, updated_count=updated, confirmed_at=timezone.now(),
                confirmed_by=actor, **_count_fields(counts),
                message=f"{len(failures)} dòng không ghi được lúc xác nhận (dữ liệu đã thay đổi)." if failures else "",
            )  # fmt: skip
            what = "đoàn viên" if batch.kind == ImportKind.MEMBERS else "đơn vị"
            audit.record(
                actor=actor, obj=batch.unit, action="import",
                summary=f"Nhập {what} từ tệp “{batch.file_name}”: thêm {created}, cập nhật {updated}",
                note=f"Lần nhập #{batch.pk}; cách nhập: {ImportMode(mode).label}",
            )  # fmt: skip
    except _Refused as refused:
        _mark_failures(refused.failures)
        counts = Counter(ImportRow.objects.filter(batch=batch).values_list("outcome", flat=True))
        ImportBatch.objects.filter(pk=batch.pk).update(
            state=ImportState.CHECKED, **_count_fields(counts),
            message=f"Dữ liệu đã thay đổi từ lúc kiểm tra: {len(refused.failures)} dòng nay không hợp lệ, nên không có gì "
                    "được ghi. Xem các dòng lỗi, rồi xác nhận lại.",
        )  # fmt: skip
    except Exception:
        ImportBatch.objects.filter(pk=batch.pk).update(
            state=ImportState.CHECKED, message="Có lỗi khi ghi: không có gì được ghi. Hãy thử lại."
        )
        raise
    batch.refresh_from_db()
    return batch


def _mark_failures(failures: list[tuple[ImportRow, list[list[str]]]]) -> None:
    for row, errors in failures:
        row.outcome = Outcome.ERROR
        row.errors = errors
    ImportRow.objects.bulk_update([r for r, _ in failures], ["outcome", "errors"], batch_size=1000)


def _write_members(actor, batch, mode, progress):
    check = MemberCheck(batch)
    rows = list(ImportRow.objects.filter(batch=batch, outcome__in=[Outcome.CREATE, Outcome.UPDATE]).order_by("number"))
    failures: list[tuple[ImportRow, list[list[str]]]] = []
    written: list[ImportRow] = []
    created = updated = 0
    note = f"Nhập từ tệp “{batch.file_name}” (lần nhập #{batch.pk})"
    for start in range(0, len(rows), CHUNK):
        part = rows[start : start + CHUNK]
        creates, updates = [], []
        for row in part:
            raw, errors = check.row_raw(row.cells)
            clean, more = check.checker.check(raw)
            if errors or more:
                failures.append((row, check.error_list(errors + more)))
            elif row.outcome == Outcome.CREATE:
                creates.append((row, clean))
            else:
                updates.append((row, raw, clean))
        if creates:
            results = member_services.members_prepare(
                actor=actor,
                rows=[(check.unit(c["unit_id"]), _member_data(c)) for _, c in creates],
                accept_warnings=True,
            )
            ok = []
            for (row, _c), result in zip(creates, results, strict=True):
                if isinstance(result, Exception):
                    failures.append((row, check.exception_errors(result)))
                else:
                    member, warnings = result
                    ok.append((row, member, "; ".join([*warnings, note])))
            if ok and not (failures and mode == ImportMode.ALL):
                members = member_services.members_insert(actor=actor, prepared=[(m, n) for _, m, n in ok])
                for (row, _m, _n), member in zip(ok, members, strict=True):
                    row.target_id, row.written = member.pk, True
                    written.append(row)
                created += len(members)
        members = Member.objects.in_bulk([row.target_id for row, _, _ in updates])
        for row, raw, clean in updates:
            member = members.get(row.target_id)
            if member is None or member.citizen_id != clean["citizen_id"]:
                failures.append(
                    (row, [[check.label("citizen_id"), clean["citizen_id"], "Hồ sơ đã thay đổi từ lúc kiểm tra."]])
                )
                continue
            data = _member_data(clean, only=check.update_fields(raw))
            try:
                with transaction.atomic():  # one savepoint per row: a refused update leaves no trace
                    member_services.member_update(
                        actor=actor, member=member, data=data, accept_warnings=True, note=note
                    )
            except (ValidationError, scope.ScopeError) as exc:
                failures.append((row, check.exception_errors(exc)))
                continue
            row.written = True
            written.append(row)
            updated += 1
        if failures and mode == ImportMode.ALL:
            break
        if progress:
            progress(min(start + CHUNK, len(rows)), len(rows))
    return created, updated, failures, written


def _write_units(actor, batch, mode):
    check = UnitCheck(batch)
    rows = list(ImportRow.objects.filter(batch=batch).order_by("number"))
    raws = []
    for row in rows:
        raw, errors = check.raw(row.cells)
        raws.append((row.number, raw, errors))
    plans = plan_units(batch.unit, raws)
    failures, written = [], []
    created_units: dict[int, Unit] = {}
    order = sorted(
        (i for i, p in enumerate(plans) if rows[i].outcome == Outcome.CREATE),
        key=lambda i: (plans[i].get("depth", 0), i),
    )
    for i in order:
        plan, row = plans[i], rows[i]
        if plan["outcome"] != Outcome.CREATE:
            failures.append((row, check.error_list(plan["errors"])))
            continue
        parent = created_units.get(plan.get("parent_row", -1)) or (
            Unit.objects.filter(pk=plan.get("parent_id")).first() if plan.get("parent_id") else None
        )
        if parent is None:
            failures.append(
                (row, [[check.label("parent_code"), "", "Đơn vị cấp trên chưa được tạo (dòng của nó không ghi được)."]])
            )
            continue
        try:
            with transaction.atomic():
                unit = unit_services.unit_create(
                    actor=actor, parent=parent, code=plan["code"], name=plan["name"], kind=plan["kind"],
                    short_name=plan["short_name"], founded_on=plan["founded_on"],
                )  # fmt: skip
        except (ValidationError, scope.ScopeError) as exc:
            msgs = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
            failures.append((row, [["", "", " ".join(msgs)]]))
            continue
        created_units[i] = unit
        row.target_id, row.written = unit.pk, True
        written.append(row)
    return len(created_units), 0, failures, written


# ---------------------------------------------------------------- background tasks


def _run_check(*, job, actor, unit, params) -> str:
    batch = ImportBatch.objects.get(pk=params["batch"], unit=unit)
    scope.require(actor, PERMS[batch.kind], unit)
    import_check(
        batch=batch, progress=lambda done, total: job_services.job_progress(job_id=job.pk, done=done, total=total)
    )
    return reverse("import_detail", args=[batch.pk])


def _run_confirm(*, job, actor, unit, params) -> str:
    batch = ImportBatch.objects.get(pk=params["batch"], unit=unit)
    import_write(
        actor=actor, batch=batch, mode=params["mode"],
        progress=lambda done, total: job_services.job_progress(job_id=job.pk, done=done, total=total),
    )  # fmt: skip
    return reverse("import_detail", args=[batch.pk])


def _release_batch(job) -> None:
    """The worker died in the middle (job_cleanup): the batch must not stay "checking"/"writing" for ever.
    A write is one transaction, so nothing of it was kept: the batch is back to checked, to confirm again."""
    ImportBatch.objects.filter(job=job, state=ImportState.CHECKING).update(
        state=ImportState.FAILED, message="Việc kiểm tra tệp bị dừng giữa chừng. Hãy tải tệp lên lại."
    )
    ImportBatch.objects.filter(job=job, state=ImportState.CONFIRMING).update(
        state=ImportState.CHECKED, message="Việc ghi bị dừng giữa chừng nên không có gì được ghi. Hãy xác nhận lại."
    )


register_task("import.check", label="Kiểm tra tệp nhập dữ liệu", perm="member.view", run=_run_check,
              on_fail=_release_batch)  # fmt: skip
register_task("import.confirm", label="Ghi dữ liệu nhập từ tệp", perm="member.view", run=_run_confirm,
              on_fail=_release_batch)  # fmt: skip
