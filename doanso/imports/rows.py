"""The fast row checker shared by every member import (browser preview, command line, API).

    checker = RowChecker(unit=unit, today=None, accept_unknown_prefix=False)
    clean, errors = checker.check(raw)

`raw` maps Member field names to cell values as a reader found them: text (any spacing, NFD
or NFC), or `date` / `datetime` / `int` / `float` from Excel. Recognised keys (others are
ignored; header recognition lives in `headers.py`):

    full_name, date_of_birth, sex, citizen_id, citizen_id_issued_on, citizen_id_issued_place,
    legacy_id_9, hometown, permanent_ward, permanent_address, current_ward, current_address,
    ethnicity, religion, phone, email, education_general, education_professional,
    political_theory, it_level, foreign_language, occupation, is_salaried, party_joined_on,
    position, is_full_time_official, card_number, admitted_on, admission_decision_number,
    admission_place, federation_member, student_association_member, branch_code

`errors` is a list of `CellError(field, value, reason)` (reason in Vietnamese, one per field at
most); when it is empty `clean` is a dict whose keys are exactly `ROW_COLUMNS` (Member attnames:
`unit_id`, `ethnicity_id`, …, derived name fields, placement, `status`/`status_since`), ready
for `doanso.members.bulk.MemberLoad` (`checker.as_row(clean, member_id)` gives the tuple in
`ROW_COLUMNS` order with the id in front). When `errors` is not empty `clean` is None.
`checker.warnings` holds what the last accepted row carried that an official may want to see
(an unknown CCCD prefix accepted with `accept_unknown_prefix=True`).

The rules are those of `members.services.clean_member_data` (the tests compare the two on a
table of rows), plus what an import needs on top:

* `branch_code` is required and must name an open member-holding unit (chi đoàn) in the
  importing unit's subtree (codes compared without case);
* dates: `dd/mm/yyyy`, `d/m/yy` (yy above this year's two digits is 19yy), `dd-mm-yyyy`,
  `dd.mm.yyyy`, `yyyy-mm-dd`, Excel serial numbers (1900 date system) and Excel date cells;
* ethnicity and religion: the code ("1" or "01") or the name / a known alias, with or
  without diacritics; sex: Nam/Nữ (M/F); yes/no columns: x, có, 1, true / empty, không, 0;
* CCCD: a number Excel turned into an integer gets its leading zeros back; a CCCD whose
  century/sex digit or birth year contradicts the row is an ERROR, as clean_member_data does
  without the official's confirmation (nobody confirms row by row in an import);
* text longer than the column is an error (the database would refuse the whole batch);
* duplicates (in the file, on record) are the caller's business: they need the database or the
  whole file.

Everything is loaded once in the constructor (branches of the subtree, code lists, wards, the
rule sets by effective date), so `check` makes no query; the pure parts are cached.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone

from doanso.core import vn
from doanso.core.models import Ethnicity, Religion, RuleSet, Ward
from doanso.core.rules import Rules
from doanso.members.choices import MemberStatus, Position
from doanso.members.models import SCOPE_LEVELS, Member, derived_name_fields
from doanso.organisations.choices import MEMBER_HOLDING_KINDS
from doanso.organisations.models import Unit


@dataclass(frozen=True)
class CellError:
    field: str
    value: str
    reason: str


# What a clean row holds, in this order (Member attnames); `id` is the writer's.
ROW_COLUMNS = [
    "unit_id", "unit_path", "scope1", "scope2", "scope3",
    "full_name", "family_name", "given_name", "sort_key", "search_name", "search_given",
    "date_of_birth", "sex", "ethnicity_id", "religion_id", "citizen_id", "citizen_id_issued_on",
    "citizen_id_issued_place", "legacy_id_9", "hometown", "permanent_ward_id", "permanent_address",
    "current_ward_id", "current_address", "phone", "email", "education_general", "education_professional",
    "political_theory", "it_level", "foreign_language", "occupation", "is_salaried", "party_joined_on",
    "position", "is_full_time_official", "card_number", "admitted_on", "admission_decision_number",
    "admission_place", "federation_member", "student_association_member", "status", "status_since",
]  # fmt: skip
MEMBER_ROW_COLUMNS = ["id", *ROW_COLUMNS]

# Plain text fields copied after NFC (low-cardinality ones go through a cache).
_TEXT_CACHED = [
    "citizen_id_issued_place", "education_general", "education_professional", "political_theory", "it_level",
    "foreign_language", "occupation", "admission_place", "hometown",
]  # fmt: skip
_TEXT_PLAIN = ["permanent_address", "current_address", "card_number", "admission_decision_number"]
_FLAGS = ["is_salaried", "is_full_time_official", "federation_member", "student_association_member"]
_DATES = ["date_of_birth", "citizen_id_issued_on", "party_joined_on", "admitted_on"]

_LABELS = {f.name: str(f.verbose_name) for f in Member._meta.fields}
_LABELS["branch_code"] = "mã chi đoàn"
_MAX = {f.name: f.max_length for f in Member._meta.fields if getattr(f, "max_length", None)}


def _label(field: str) -> str:
    text = _LABELS.get(field, field)
    return text[:1].upper() + text[1:]


def _required(field: str) -> str:
    return f"{_label(field)}: không được để trống."


# Cache sizes bound the national import's memory (~500 bytes an entry); see bench/README.md.
_cached_nfc = lru_cache(maxsize=16_384)(vn.nfc)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return vn.nfc(str(value))


# ---------------------------------------------------------------- dates

_EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 = 1 January 1900 (Excel's 1900 leap-year bug included)
_DATE_DMY = re.compile(r"(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4}|\d{2})")
_DATE_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_DATE_DMY_TIME = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})\s+\d{1,2}:\d{2}(?::\d{2})?")
_SERIAL = re.compile(r"\d{5}(?:\.0+)?")  # 10000 = 18/05/1927; four digits read as a year, not a date
BAD_DATE = "không đúng định dạng ngày (dd/mm/yyyy)."


def _serial(n: float) -> date | None:
    if 1 <= n < 2_958_466:  # up to 31/12/9999
        return _EXCEL_EPOCH + timedelta(days=int(n))
    return None


@lru_cache(maxsize=50_000)  # a century of days in one format, and then some
def _parse_date_text(text: str, pivot: int) -> date | None:
    text = text.strip()
    try:
        m = _DATE_DMY.fullmatch(text) or _DATE_DMY_TIME.fullmatch(text)
        if m:
            day, month, year = int(m[1]), int(m[2]), m[3]
            if len(year) == 2:
                y = int(year)
                year = (2000 + y) if y <= pivot else (1900 + y)
            return date(int(year), month, day)
        m = _DATE_ISO.fullmatch(text)
        if m:
            return date(int(m[1]), int(m[2]), int(m[3]))
        if _SERIAL.fullmatch(text):
            return _serial(float(text))
    except ValueError:
        return None
    return None


def parse_date(value: Any, today: date | None = None) -> date | None:
    """A cell as a date, or None when it is not one. Empty cells are the caller's business."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return _serial(value)
    pivot = (today or timezone.localdate()).year % 100
    return _parse_date_text(str(value), pivot)


# ---------------------------------------------------------------- small parsers

_SEX = {"nam": "M", "m": "M", "male": "M", "nu": "F", "f": "F", "female": "F"}
_TRUE = {"x", "co", "c", "1", "true", "yes", "y", "dung", "v"}
_FALSE = {"", "khong", "k", "0", "false", "no", "n", "sai"}
_POSITIONS = {}
for _value, _name in Position.choices:
    _POSITIONS[_value] = _value
    _POSITIONS[vn.fold(str(_name))] = _value
_POSITIONS.update({"uv bch": Position.COMMITTEE, "uy vien": Position.COMMITTEE, "pho bi thu": "deputy_secretary"})


@lru_cache(maxsize=1024)
def _folded(text: str) -> str:
    return vn.fold(text)


def _flag(value: Any) -> bool | None:
    if value is None or value is False or value is True:
        return bool(value)
    if isinstance(value, int | float):
        return None if value not in (0, 1) else bool(value)
    f = _folded(str(value))
    if f in _TRUE:
        return True
    if f in _FALSE:
        return False
    return None


_MOBILE = re.compile(phonenumbers.PhoneMetadata.metadata_for_region("VN").mobile.national_number_pattern)


def normalize_phone(raw: Any) -> str:
    """vn.normalize_phone, with a fast path for the common case (0 + a valid 9-digit mobile number).

    The pattern is libphonenumber's own VN mobile pattern (from the installed `phonenumbers`), so
    both paths agree (a test compares them); anything else goes through vn.normalize_phone.
    """
    if isinstance(raw, int):
        raw = f"0{raw}" if len(str(raw)) == 9 else str(raw)  # Excel ate the leading 0
    s = str(raw).strip()
    if len(s) == 10 and s[0] == "0" and s.isdigit() and _MOBILE.fullmatch(s, 1):
        return "+84" + s[1:]
    if len(s) == 12 and s.startswith("+84") and s[1:].isdigit() and s[3] != "0" and _MOBILE.fullmatch(s, 3):
        return s
    return vn.normalize_phone(s)


@lru_cache(maxsize=4096)
def _email_ok(email: str) -> bool:
    try:
        validate_email(email)
    except ValidationError:
        return False
    return True


@lru_cache(maxsize=20_000)
def _name(raw: str) -> tuple[tuple, str]:
    """(derived name fields, error) for a raw name cell."""
    name = vn.nfc(raw)
    if not name:
        return (), _required("full_name")
    if any(ch.isdigit() for ch in name):
        return (), "Họ và tên: không được chứa chữ số."
    if len(name.split(" ")) < 2:
        return (), "Họ và tên: cần có ít nhất họ và tên (ví dụ: Nguyễn An)."
    if len(name) > _MAX["full_name"]:
        return (), f"Họ và tên: dài quá {_MAX['full_name']} ký tự."
    return derived_name_fields(name), ""  # cached here, not also in bulk.name_fields


def _cccd_fast(number: str, dob: date, sex: str) -> bool:
    """True when vn.check_citizen_id would find nothing to say (12 digits, known prefix, year, sex)."""
    if len(number) != 12 or not number.isdigit() or number[:3] not in vn.CCCD_PROVINCES_2016:
        return False
    d4 = ord(number[3]) - 48
    year = 1900 + 100 * (d4 // 2) + int(number[4:6])
    return dob.year == year and (sex == "F") == (d4 % 2 == 1)


# ---------------------------------------------------------------- the checker


class RowChecker:
    """See the module docstring. One per import: it loads the subtree's branches and code lists."""

    def __init__(self, *, unit: Unit, today: date | None = None, accept_unknown_prefix: bool = False):
        self.unit = unit
        self.today = today or timezone.localdate()
        self.accept_unknown_prefix = accept_unknown_prefix
        self.warnings: list[str] = []
        # Branch code (lower case) → where a member of it is placed: (unit_id, unit_path, scope1..3).
        # The national table holds ~100,000 branches, so it keeps only that, its ancestor ids shared.
        self.branches: dict[str, tuple] = {}
        ancestors: dict[str, int] = {}
        rows = (
            Unit.objects.filter(path__startswith=unit.path, kind__in=MEMBER_HOLDING_KINDS, closed_on__isnull=True)
            .values_list("pk", "code", "path")
            .iterator(chunk_size=10_000)
        )
        for pk, code, path in rows:
            ids = [ancestors.setdefault(p, int(p)) for p in path.strip("/").split("/") if p]
            scopes = tuple(ids[level] if len(ids) > level else None for level in range(1, SCOPE_LEVELS + 1))
            self.branches[code.strip().lower()] = (pk, path, *scopes)
        self.ethnicities = self._code_list(
            (code, name, aliases) for code, name, aliases in Ethnicity.objects.values_list("code", "name", "aliases")
        )
        self.religions = self._code_list(
            (code, name, "") for code, name in Religion.objects.values_list("code", "name")
        )
        self.wards = set(Ward.objects.values_list("code", flat=True))
        sets = list(RuleSet.objects.order_by("effective_from").values_list("effective_from", "values", "pk"))
        self._rule_days = [day for day, _, _ in sets]
        self._rule_sets = [Rules(values, day, pk) for day, values, pk in sets]
        self._default_rules = Rules({}, None)
        self._rules_cache: dict[date, Rules] = {}
        self._pivot = self.today.year % 100
        self._max_dob_age = 100

    @staticmethod
    def _code_list(rows) -> dict[str, str]:
        out: dict[str, str] = {}
        for code, name, aliases in rows:
            out[code] = code
            out[code.lstrip("0") or "0"] = code
            out[vn.fold(name)] = code
            for alias in filter(None, (aliases or "").split("|")):
                out[vn.fold(alias)] = code
        return out

    # -- look-ups
    def rules_on(self, day: date) -> Rules:
        """What `core.rules.rules_on(day)` answers, from the rule sets loaded once."""
        got = self._rules_cache.get(day)
        if got is None:
            i = bisect.bisect_right(self._rule_days, day)
            got = self._rule_sets[i - 1] if i else self._default_rules
            self._rules_cache[day] = got
        return got

    def _code(self, table: dict[str, str], value: Any) -> str | None:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = str(value).strip()
        got = table.get(text)
        if got is None:
            got = table.get(_folded(text))
        return got

    def placement(self, code: Any) -> tuple | None:
        """(unit_id, unit_path, scope1..3) of an open branch in scope with this code, or None."""
        return self.branches.get(str(code).strip().lower())

    # -- one cell (not empty) → its value, or None when it is not one; the columnar pass uses these too
    @staticmethod
    def sex_of(value: Any) -> str | None:
        return _SEX.get(value) or _SEX.get(_folded(str(value)))

    def ward_of(self, value: Any) -> int | None:
        try:
            ward = int(float(str(value).strip()))
        except (ValueError, OverflowError):  # "abc", "nan", "inf"
            return None
        return ward if ward in self.wards else None

    @staticmethod
    def position_of(value: Any) -> str | None:
        return _POSITIONS.get(value) or _POSITIONS.get(_folded(str(value)))

    def _date(self, value: Any) -> date | None:
        if type(value) is str:
            return _parse_date_text(value, self._pivot)
        return parse_date(value, self.today)

    # -- the check
    def check(self, raw: dict[str, Any]) -> tuple[dict[str, Any] | None, list[CellError]]:
        row, errors = self.check_row(raw)
        if row is None:
            return None, errors
        return dict(zip(ROW_COLUMNS, row, strict=True)), errors

    def as_row(self, clean: dict[str, Any], member_id: int) -> tuple:
        return (member_id, *(clean[c] for c in ROW_COLUMNS))

    def check_row(self, raw: dict[str, Any]) -> tuple[tuple | None, list[CellError]]:
        """`check`, answering a tuple in ROW_COLUMNS order (what the command-line import writes)."""
        errors: list[CellError] = []
        self.warnings = []
        get = raw.get
        today = self.today

        def bad(field: str, reason: str) -> None:
            value = get(field)
            errors.append(CellError(field, "" if value is None else str(value), reason))

        # name
        raw_name = get("full_name")
        derived: tuple = ()
        if raw_name is None or raw_name == "":
            bad("full_name", _required("full_name"))
        else:
            derived, message = _name(str(raw_name))
            if message:
                bad("full_name", message)
        # dates
        dates: dict[str, date | None] = {}
        for field in _DATES:
            value = get(field)
            if value is None or value == "":
                dates[field] = None
                if field in ("date_of_birth", "admitted_on"):
                    bad(field, _required(field))
                continue
            parsed = self._date(value)
            if parsed is None:
                bad(field, f"{_label(field)}: {BAD_DATE}")
            dates[field] = parsed
        dob = dates["date_of_birth"]
        if dob is not None:
            if dob > today:
                bad("date_of_birth", "Ngày sinh: không được sau ngày hôm nay.")
                dob = None
            elif vn.age_on(dob, today) > self._max_dob_age:
                bad("date_of_birth", "Ngày sinh: không hợp lý (trên 100 tuổi).")
                dob = None
        # sex
        raw_sex = get("sex")
        sex = None
        if raw_sex is None or raw_sex == "":
            bad("sex", _required("sex"))
        else:
            sex = self.sex_of(raw_sex)
            if sex is None:
                bad("sex", "Giới tính: chỉ nhận Nam hoặc Nữ.")
        # citizen id
        raw_id = get("citizen_id")
        citizen_id = ""
        if raw_id is None or raw_id == "":
            bad("citizen_id", _required("citizen_id"))
        else:
            if isinstance(raw_id, int | float) and not isinstance(raw_id, bool):
                number = f"{int(raw_id):012d}"  # Excel stored it as a number and dropped the zeros
            else:
                number = str(raw_id).strip()
            if not (dob is not None and sex and _cccd_fast(number, dob, sex)):
                check = vn.check_citizen_id(number, dates["date_of_birth"], sex)
                if check.errors:
                    bad("citizen_id", check.errors[0])
                else:
                    number = check.number
                    unknown_prefix = number[:3] not in vn.CCCD_PROVINCES_2016
                    contradictions = check.warnings[1:] if unknown_prefix else check.warnings
                    if contradictions or (unknown_prefix and not self.accept_unknown_prefix):
                        bad("citizen_id", " ".join(check.warnings))
                    elif unknown_prefix:
                        self.warnings.append(check.warnings[0])
            citizen_id = number
        # code lists
        value = get("ethnicity")
        ethnicity = "01" if value is None or value == "" else self._code(self.ethnicities, value)
        if ethnicity is None:
            bad("ethnicity", f"Dân tộc “{vn.nfc(str(value))}” không có trong danh mục.")
        value = get("religion")
        religion = "00" if value is None or value == "" else self._code(self.religions, value)
        if religion is None:
            bad("religion", f"Tôn giáo “{vn.nfc(str(value))}” không có trong danh mục.")
        wards = []
        for field in ("permanent_ward", "current_ward"):
            value = get(field)
            ward = None
            if value is not None and value != "":
                ward = self.ward_of(value)
                if ward is None:
                    bad(field, f"Xã/phường “{value}” không có trong danh mục.")
            wards.append(ward)
        # legacy id, issue date
        legacy = _text(get("legacy_id_9"))
        if legacy and not (len(legacy) == 9 and legacy.isdigit()):
            bad("legacy_id_9", "Số CMND cũ phải gồm đúng 9 chữ số.")
        issued = dates["citizen_id_issued_on"]
        if issued:
            if issued > today:
                bad("citizen_id_issued_on", "Ngày cấp CCCD: không được sau ngày hôm nay.")
            elif dates["date_of_birth"] and issued < dates["date_of_birth"]:
                bad("citizen_id_issued_on", "Ngày cấp CCCD: không được trước ngày sinh.")
        # phone, e-mail
        value = get("phone")
        phone = ""
        if value is not None and value != "":
            try:
                phone = normalize_phone(value)
            except vn.PhoneError as exc:
                bad("phone", f"{exc} (ví dụ: 0912 345 678)")
        email = _text(get("email"))
        if email and not _email_ok(email):
            bad("email", "Thư điện tử không đúng định dạng (ví dụ: ten@vi-du.vn).")
        # position, flags
        value = get("position")
        position = Position.MEMBER.value
        if value is not None and value != "":
            position = self.position_of(value)
            if position is None:
                bad("position", "Chức vụ Đoàn không hợp lệ.")
        flags = []
        for field in _FLAGS:
            flag = _flag(get(field))
            if flag is None:
                bad(field, f"{_label(field)}: chỉ nhận “x”/“có” hoặc để trống/“không”.")
            flags.append(bool(flag))
        # admission (age window from the rule set in force on that day), Party
        admitted = dates["admitted_on"]
        if admitted:
            if admitted > today:
                bad("admitted_on", "Ngày vào Đoàn: không được sau ngày hôm nay.")
            elif dob:
                rules = self.rules_on(admitted)
                age = vn.age_on(dob, admitted)
                low = rules.admission_min_age
                too_young = age < low
                if rules.admission_min_age_counts_from_15_plus_1_day:
                    too_young = age < low - 1 or (age == low - 1 and vn.age_on(dob, admitted - timedelta(days=1)) < age)
                if too_young or age > rules.admission_max_age:
                    bad(
                        "admitted_on",
                        f"Tuổi khi vào Đoàn là {age}, ngoài độ tuổi kết nạp ({low}–{rules.admission_max_age} tuổi).",
                    )
        party = dates["party_joined_on"]
        born = dates["date_of_birth"]
        if party and (party > today or (born and vn.age_on(born, party) < 18)):
            bad("party_joined_on", "Ngày vào Đảng không hợp lý (sau hôm nay hoặc trước 18 tuổi).")
        # branch
        value = get("branch_code")
        placement = None
        if value is None or value == "":
            bad("branch_code", "Mã chi đoàn: không được để trống.")
        else:
            placement = self.placement(value)
            if placement is None:
                bad(
                    "branch_code",
                    f"Mã chi đoàn “{str(value).strip()}” không phải chi đoàn đang hoạt động thuộc {self.unit.name}.",
                )
        # text
        texts = {}
        for field in _TEXT_CACHED:
            value = get(field)
            texts[field] = "" if value is None or value == "" else _cached_nfc(str(value))
        for field in _TEXT_PLAIN:
            value = get(field)
            texts[field] = "" if value is None or value == "" else _text(value)
        texts["legacy_id_9"] = legacy
        texts["email"] = email
        for field, text in texts.items():
            if len(text) > _MAX[field]:
                bad(field, f"{_label(field)}: dài quá {_MAX[field]} ký tự.")
        if errors:
            return None, errors
        return (
            *placement, *derived, dob, sex, ethnicity, religion, citizen_id, issued,
            texts["citizen_id_issued_place"], legacy, texts["hometown"], wards[0], texts["permanent_address"],
            wards[1], texts["current_address"], phone, email, texts["education_general"],
            texts["education_professional"], texts["political_theory"], texts["it_level"], texts["foreign_language"],
            texts["occupation"], flags[0], party, position, flags[1], texts["card_number"], admitted,
            texts["admission_decision_number"], texts["admission_place"], flags[2], flags[3],
            MemberStatus.ACTIVE.value, admitted,
        ), errors  # fmt: skip
