"""Checking a batch of CSV records column by column (Apache Arrow), for the national migration.

`ColumnarChecker(checker, order, fields, delimiter)(data, first_row)` reads a batch of whole CSV
records with Arrow's CSV reader and checks it a column at a time. It never decides a row is
wrong: it only *accepts* rows it can prove clean, and gives every other row to
`rows.RowChecker.check_row`, which stays the one place where rules and messages live. So:

* a column with few distinct values (dates, sex, ethnicity, branch codes, names, flags…) is
  checked once per distinct value in the batch, by the same RowChecker functions (memoised);
* a column with a value per person (CCCD, phone, addresses, card numbers) is checked by a few
  vectorised tests of its *plain* form (a 12-digit CCCD with a known prefix whose century and
  year digits agree with the row; a 0 + 9-digit mobile number libphonenumber accepts; text that
  is already NFC and single-spaced in the Latin/Vietnamese range): anything else goes row by row;
* the rules across columns (CCCD against birth date and sex, CCCD issue date after birth, age
  at admission within the rule set of that day, Party after 18) are computed on whole columns.

A test compares every accepted row with what RowChecker answers for it, on generated rows.
A batch Arrow cannot map one record per line (a record spanning lines, a ragged row, bytes that
are not UTF-8) raises `Fallback`: the caller checks it row by row.

The answer is an Arrow table of the accepted rows (ROW_COLUMNS, plus `_row`, the row number)
and the rows left for RowChecker as (row number, cells).
"""

from __future__ import annotations

import csv
import io
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pv

from doanso.core import vn
from doanso.members.choices import MemberStatus, Position

from . import rows as R
from .rows import ROW_COLUMNS, RowChecker

_BAD = object()  # a value the columnar pass does not accept (RowChecker will say why, or accept it)
_MISSING = object()
_MEMO_LIMIT = 20_000  # distinct values remembered per column across batches (names: R._name caches them)

# Text already clean: printable characters of the Latin and Vietnamese ranges (no U+00A0, no
# soft hyphen), single spaces between words, nothing at either end. Python's isprintable() holds
# for every character here, so vn.nfc returns such text unchanged once it is NFC.
_PLAIN_CHAR = r"[!-~\x{a1}-\x{ac}\x{ae}-\x{24f}\x{300}-\x{36f}\x{1e00}-\x{1eff}]"
_PLAIN_TEXT = f"^{_PLAIN_CHAR}+(?: {_PLAIN_CHAR}+)*$"
_CCCD = r"^[0-9]{12}$"
_LEGACY = r"^[0-9]{9}$"
# libphonenumber's VN mobile pattern (as rows.normalize_phone uses it), ASCII digits only.
_MOBILE = R._MOBILE.pattern.replace(r"\d", "[0-9]")
_PHONE_0 = f"^0(?:{_MOBILE})$"
_PHONE_84 = f"^\\+84(?:{_MOBILE})$"


S, D, INT, B = pa.string(), pa.date32(), pa.int64(), pa.bool_()


class Fallback(Exception):
    """This batch is checked row by row (why, in the message)."""


def _age(born: pa.Array, day: pa.Array) -> pa.Array:
    """vn.age_on over two date columns."""
    later = pc.less(
        pc.add(pc.multiply(pc.month(day), 100), pc.day(day)),
        pc.add(pc.multiply(pc.month(born), 100), pc.day(born)),
    )
    return pc.subtract(pc.subtract(pc.year(day), pc.year(born)), pc.cast(later, pa.int64()))


class _Memo:
    """fn's answers for the values of a column seen so far, kept as Arrow arrays: a batch's
    distinct values are looked up all at once (index_in), and fn runs in Python only for the
    values not seen before. Up to _MEMO_LIMIT values, then it starts again."""

    def __init__(self, fn, types: list[pa.DataType]):
        self.fn = fn
        self.types = types
        self.keys: pa.Array | None = None
        self.outs: list[pa.Array] = []  # one per type, then ok (bool)

    def __call__(self, column: pa.Array) -> list[pa.Array]:
        """fn over an array: one array per type, then whether fn accepted the value; nulls stay null."""
        column = column.dictionary_encode()
        values = column.dictionary
        if self.keys is not None and len(self.keys) > _MEMO_LIMIT:
            self.keys, self.outs = None, []
        if self.keys is None:
            new = values
        else:
            new = pc.filter(values, pc.is_null(pc.index_in(values, value_set=self.keys)))
        if len(new) or self.keys is None:
            outs: list[list] = [[] for _ in self.types]
            ok = []
            for value in new.to_pylist():
                got = self.fn(value)
                if got is _BAD:
                    ok.append(False)
                    for out in outs:
                        out.append(None)
                else:
                    ok.append(True)
                    for out, v in zip(outs, got, strict=True):
                        out.append(v)
            added = [pa.array(out, t) for out, t in zip(outs, self.types, strict=True)] + [pa.array(ok, pa.bool_())]
            if self.keys is None:
                self.keys, self.outs = new, added
            else:
                self.keys = pa.concat_arrays([self.keys, new])
                self.outs = [pa.concat_arrays([old, more]) for old, more in zip(self.outs, added, strict=True)]
        at = pc.take(pc.index_in(values, value_set=self.keys), column.indices)
        return [pc.take(out, at) for out in self.outs]


class ColumnarChecker:
    """See the module docstring. Built once per import, beside the RowChecker it defers to."""

    def __init__(self, *, checker: RowChecker, order: list[int], fields: list[str], delimiter: str, width: int):
        self.checker = checker
        self.names = [f"c{i}" for i in range(width)]
        self.column_of = {f: f"c{i}" for i, f in zip(order, fields, strict=True)}
        self.delimiter = delimiter
        self.memo: dict[str, _Memo] = {}
        self.absent: dict[str, Any] = {}  # fn(None) of the fields the file has no column for
        self.prefixes = pa.array(sorted(vn.CCCD_PROVINCES_2016))

    # -- per distinct value
    def _memo(self, key: str, fn, types: list[pa.DataType]) -> _Memo:
        memo = self.memo.get(key)
        if memo is None:
            memo = self.memo[key] = _Memo(fn, types)
        return memo

    def _distinct(self, table: pa.Table, field: str, fn, types: list[pa.DataType]) -> list[pa.Array]:
        """fn(value) for every row of `field` ("" … as read; None when the file has no such
        column), computed once per distinct value: one array per type in `types` (null where fn
        gave _BAD), then whether fn accepted the value. fn answers a tuple of len(types) values,
        or _BAD. Names are not memoised here: R._name caches them."""
        name = self.column_of.get(field)
        n = table.num_rows
        if name is None:
            got = self.absent.get(field, _MISSING)
            if got is _MISSING:
                got = self.absent[field] = fn(None)
            if got is _BAD:
                return [pa.nulls(n, t) for t in types] + [pa.repeat(pa.scalar(False), n)]
            return [pa.repeat(pa.scalar(v, t), n) for v, t in zip(got, types, strict=True)] + [
                pa.repeat(pa.scalar(True), n)
            ]
        memo = self._memo(field, fn, types) if field != "full_name" else _Memo(fn, types)
        return memo(table.column(name).combine_chunks())

    # -- the rules per value (RowChecker's, field by field)
    def _name(self, value):
        if not value:
            return _BAD
        derived, message = R._name(value)
        return _BAD if message else derived

    def _date_fn(self, field: str):
        checker, today = self.checker, self.checker.today

        def fn(value):
            if not value:
                return _BAD if field in ("date_of_birth", "admitted_on") else (None,)
            day = checker._date(value)
            if day is None or day > today:
                return _BAD
            if field == "date_of_birth" and vn.age_on(day, today) > checker._max_dob_age:
                return _BAD
            return (day,)

        return fn

    def _sex(self, value):
        sex = self.checker.sex_of(value) if value else None
        return _BAD if sex is None else (sex,)

    def _code_fn(self, table: dict, default: str):
        def fn(value):
            if not value:
                return (default,)
            code = self.checker._code(table, value)
            return _BAD if code is None else (code,)

        return fn

    def _ward(self, value):
        if not value:
            return (None,)
        ward = self.checker.ward_of(value)
        return _BAD if ward is None else (ward,)

    def _email(self, value):
        email = R._text(value)
        if (email and not R._email_ok(email)) or len(email) > R._MAX["email"]:
            return _BAD
        return (email,)

    def _position(self, value):
        if not value:
            return (Position.MEMBER.value,)
        position = self.checker.position_of(value)
        return _BAD if position is None else (position,)

    def _flag(self, value):
        flag = R._flag(value)
        return _BAD if flag is None else (flag,)

    def _branch(self, value):
        placement = self.checker.placement(value) if value else None
        return _BAD if placement is None else placement

    def _age_window(self, day):
        """(lowest, highest) admission age of the rule set in force on an admission day."""
        rules = self.checker.rules_on(day)
        return rules.admission_min_age, rules.admission_max_age

    def _cached_text_fn(self, field: str):
        limit = R._MAX[field]

        def fn(value):
            text = "" if not value else R._cached_nfc(value)
            return _BAD if len(text) > limit else (text,)

        return fn

    # -- vectorised columns
    def _column(self, table: pa.Table, field: str) -> pa.Array | None:
        name = self.column_of.get(field)
        return None if name is None else table.column(name).combine_chunks()

    def _plain_text(self, table: pa.Table, field: str, n: int) -> tuple[pa.Array, pa.Array]:
        """(value, ok) of a free-text column: empty, or already clean (see _PLAIN_TEXT)."""
        column = self._column(table, field)
        if column is None:
            return pa.repeat(pa.scalar(""), n), pa.repeat(pa.scalar(True), n)
        ok = pc.or_(
            pc.equal(column, ""),
            pc.and_(
                pc.and_(
                    pc.match_substring_regex(column, _PLAIN_TEXT), pc.less_equal(pc.utf8_length(column), R._MAX[field])
                ),
                pc.equal(pc.utf8_normalize(column, form="NFC"), column),
            ),
        )
        return column, ok

    # -- a batch
    def read(self, data: bytes) -> pa.Table:
        invalid = []

        def on_invalid(row) -> str:
            invalid.append(row)
            return "skip"

        try:
            table = pv.read_csv(
                io.BytesIO(data),
                read_options=pv.ReadOptions(column_names=self.names, use_threads=False, block_size=1 << 22),
                parse_options=pv.ParseOptions(
                    delimiter=self.delimiter, ignore_empty_lines=False, invalid_row_handler=on_invalid
                ),
                convert_options=pv.ConvertOptions(
                    column_types={name: pa.string() for name in self.names},
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
            raise Fallback(str(exc)) from exc
        if invalid:
            raise Fallback("hàng có số ô khác tiêu đề")
        if b'"' in data:
            self._same_as_csv_module(table, data)
        return table

    def _same_as_csv_module(self, table: pa.Table, data: bytes) -> None:
        """Lines with quotes read again by Python's csv module (what the row-by-row path reads):
        a batch where the two readers disagree is checked row by row."""
        lines = data.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        if len(lines) != table.num_rows:
            raise Fallback("bản ghi nhiều dòng")
        quoted = [i for i, line in enumerate(lines) if b'"' in line]
        if not quoted:
            return
        text = "\n".join(lines[i].decode("utf-8") for i in quoted)
        parsed = list(csv.reader(io.StringIO(text, newline=""), delimiter=self.delimiter))
        if len(parsed) != len(quoted):
            raise Fallback("ngoặc kép không khớp")
        subset = table.take(pa.array(quoted)).to_pylist()
        for cells, row in zip(parsed, subset, strict=True):
            if cells != [row[name] for name in self.names]:
                raise Fallback("hai bộ đọc CSV khác nhau")

    def __call__(self, data: bytes, first_row: int) -> tuple[pa.Table, list[tuple[int, list[str]]], int]:
        """(accepted rows, rows for RowChecker as (row number, cells), blank rows)."""
        table = self.read(data)
        n = table.num_rows
        blank = None
        for name in self.names:
            empty = pc.equal(table.column(name), "")
            blank = empty if blank is None else pc.and_(blank, empty)
        blank = pc.fill_null(blank, True) if blank is not None else pa.repeat(pa.scalar(False), n)
        ok = pc.invert(blank)
        out: dict[str, Any] = {}

        def need(flag) -> None:
            nonlocal ok
            ok = pc.and_(ok, flag)

        # single columns, per distinct value
        *name_cols, f = self._distinct(table, "full_name", self._name, [S] * 6)
        need(f)
        for col, arr in zip(
            ["full_name", "family_name", "given_name", "sort_key", "search_name", "search_given"],
            name_cols,
            strict=True,
        ):
            out[col] = arr
        for field in R._DATES:
            out[field], f = self._distinct(table, field, self._date_fn(field), [D])
            need(f)
        out["sex"], f = self._distinct(table, "sex", self._sex, [S])
        need(f)
        out["ethnicity_id"], f = self._distinct(table, "ethnicity", self._code_fn(self.checker.ethnicities, "01"), [S])
        need(f)
        out["religion_id"], f = self._distinct(table, "religion", self._code_fn(self.checker.religions, "00"), [S])
        need(f)
        for field in ("permanent_ward", "current_ward"):
            out[f"{field}_id"], f = self._distinct(table, field, self._ward, [INT])
            need(f)
        out["email"], f = self._distinct(table, "email", self._email, [S])
        need(f)
        out["position"], f = self._distinct(table, "position", self._position, [S])
        need(f)
        for field in R._FLAGS:
            out[field], f = self._distinct(table, field, self._flag, [B])
            need(f)
        *placement, f = self._distinct(table, "branch_code", self._branch, [INT, S, INT, INT, INT])
        need(f)
        for col, arr in zip(["unit_id", "unit_path", "scope1", "scope2", "scope3"], placement, strict=True):
            out[col] = arr
        for field in R._TEXT_CACHED:
            out[field], f = self._distinct(table, field, self._cached_text_fn(field), [S])
            need(f)
        # free text, vectorised
        for field in R._TEXT_PLAIN:
            out[field], f = self._plain_text(table, field, n)
            need(f)
        legacy = self._column(table, "legacy_id_9")
        if legacy is None:
            out["legacy_id_9"] = pa.repeat(pa.scalar(""), n)
        else:
            out["legacy_id_9"] = legacy
            need(pc.or_(pc.equal(legacy, ""), pc.match_substring_regex(legacy, _LEGACY)))
        phone = self._column(table, "phone")
        if phone is None:
            out["phone"] = pa.repeat(pa.scalar(""), n)
        else:
            length = pc.utf8_length(phone)
            local = pc.and_(pc.equal(length, 10), pc.match_substring_regex(phone, _PHONE_0))
            intl = pc.and_(pc.equal(length, 12), pc.match_substring_regex(phone, _PHONE_84))
            need(pc.or_(pc.or_(pc.equal(phone, ""), local), intl))
            out["phone"] = pc.if_else(
                local, pc.binary_join_element_wise("+84", pc.utf8_slice_codeunits(phone, 1), ""), phone
            )
        # CCCD: plain 12 digits, a known prefix, century/sex digit and year agreeing with the row
        cid = self._column(table, "citizen_id")
        if cid is None:
            raise Fallback("không có cột số CCCD")
        dob, sex = out["date_of_birth"], out["sex"]
        digits = pc.match_substring_regex(cid, _CCCD)
        need(digits)
        safe = pc.if_else(digits, cid, "000000000000")
        need(pc.is_in(pc.utf8_slice_codeunits(safe, 0, 3), value_set=self.prefixes))
        d4 = pc.cast(pc.utf8_slice_codeunits(safe, 3, 4), pa.int64())
        year = pc.add(
            pc.add(1900, pc.multiply(pc.divide(d4, 2), 100)), pc.cast(pc.utf8_slice_codeunits(safe, 4, 6), pa.int64())
        )
        need(pc.fill_null(pc.equal(pc.year(dob), year), False))
        need(pc.fill_null(pc.equal(pc.equal(sex, "F"), pc.equal(pc.bit_wise_and(d4, 1), 1)), False))
        out["citizen_id"] = cid
        # dates against each other
        issued, admitted, party = out["citizen_id_issued_on"], out["admitted_on"], out["party_joined_on"]
        need(pc.fill_null(pc.greater_equal(issued, dob), True))
        age = _age(dob, admitted)
        low, high, _ = self._memo("_rules", self._age_window, [INT, INT])(admitted)
        need(pc.fill_null(pc.and_(pc.greater_equal(age, low), pc.less_equal(age, high)), False))
        need(pc.fill_null(pc.greater_equal(_age(dob, party), 18), True))
        out["status"] = pa.repeat(pa.scalar(MemberStatus.ACTIVE.value), n)
        out["status_since"] = admitted
        ok = pc.fill_null(ok, False)
        # within the batch, a CCCD seen twice goes row by row (RowChecker's order decides)
        counts = pc.value_counts(pc.filter(cid, ok))
        repeated = pc.filter(counts.field("values"), pc.greater(counts.field("counts"), 1))
        if len(repeated):
            ok = pc.and_(ok, pc.invert(pc.is_in(cid, value_set=repeated)))
        row_no = pa.array(range(first_row + 1, first_row + 1 + n), pa.int64())
        good = pa.table({"_row": row_no, **{c: out[c] for c in ROW_COLUMNS}}).filter(ok)
        rest = pc.indices_nonzero(pc.and_(pc.invert(ok), pc.invert(blank))).to_pylist()
        slow = []
        if rest:
            cells = table.take(pa.array(rest, pa.int64())).to_pylist()
            slow = [(first_row + 1 + i, [row[name] for name in self.names]) for i, row in zip(rest, cells, strict=True)]
        return good, slow, pc.sum(pc.cast(blank, pa.int64())).as_py() or 0


def table_rows(table: pa.Table) -> list[tuple]:
    """The accepted rows as RowChecker tuples (ROW_COLUMNS order), for SQLite and the tests."""
    columns = [table.column(c).to_pylist() for c in ROW_COLUMNS]
    return list(zip(*columns, strict=True))
