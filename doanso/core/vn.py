"""Vietnamese text and identity helpers: folding, name order, sort keys, CCCD, phones.

Everything here is pure (no database) so the importer, the services, the seed
and the benchmarks share one definition of "the same name" and "name order".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import phonenumbers

# ---------------------------------------------------------------- text folding

_TONE_MARKS = {
    "\u0300": 1,  # huyền
    "\u0309": 2,  # hỏi
    "\u0303": 3,  # ngã
    "\u0301": 4,  # sắc
    "\u0323": 5,  # nặng
}


_SPACES = re.compile(r"\s+")


def nfc(text: str | None) -> str:
    """NFC-normalise and collapse runs of white space."""
    if not text:
        return ""
    text = str(text)
    # Already clean (the common case, checked in C): printable means no white space but " ".
    clean = text.isprintable() and "  " not in text and text[0] != " " and text[-1] != " "
    if clean and unicodedata.is_normalized("NFC", text):
        return text
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()


def fold(text: str | None) -> str:
    """Lower-case, strip every diacritic and map đ→d: "Nguyễn Văn Đạt" → "nguyen van dat"."""
    # "ð" (U+00F0, lower-case of the look-alike "Ð" U+00D0) stands for đ in some legacy files.
    text = nfc(text).lower().replace("đ", "d").replace("ð", "d")
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"[^0-9a-z]+", " ", stripped).strip()


# ---------------------------------------------------------------- names


@dataclass(frozen=True)
class NameParts:
    family: str
    middle: str
    given: str


def split_name(full_name: str) -> NameParts:
    """họ + đệm (0..n words) + tên: "Nguyễn Thị Ngọc Ánh" → (Nguyễn, Thị Ngọc, Ánh)."""
    words = nfc(full_name).split(" ")
    if len(words) == 1:
        return NameParts("", "", words[0])
    return NameParts(words[0], " ".join(words[1:-1]), words[-1])


# Vietnamese alphabet (CLDR `vi`): a ă â b c d đ e ê … with f j w z in Latin order.
# Before the letters, as in CLDR root: white space, common punctuation, then digits.
_PUNCTUATION = " _-,;:!?.'‘’\"()"
_ALPHABET = "0123456789aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_OTHER_PUNCTUATION = f"{len(_PUNCTUATION) + 1:02d}"
_LETTER_CODE = {ch: f"{i + 1:02d}" for i, ch in enumerate(_PUNCTUATION)}
_LETTER_CODE.update({ch: f"{i + len(_PUNCTUATION) + 2:02d}" for i, ch in enumerate(_ALPHABET)})


@lru_cache(maxsize=65_536)  # a pure function of a few thousand distinct words (họ, đệm, tên)
def _letters_and_tones(word: str) -> tuple[str, str]:
    """Primary code (letters, tones removed) and secondary code (tone per letter)."""
    primary, secondary = [], []
    for ch in nfc(word).lower():
        if ch == "đ":
            base, tone = "đ", 0
        else:
            parts = unicodedata.normalize("NFD", ch)
            tone = 0
            kept = ""
            for p in parts:
                if p in _TONE_MARKS:
                    tone = _TONE_MARKS[p]
                else:
                    kept += p
            base = unicodedata.normalize("NFC", kept)
            if base not in _LETTER_CODE:
                # any other mark (e.g. a foreign accent): fall back to its plain letter
                base = "".join(c for c in unicodedata.normalize("NFD", base) if not unicodedata.combining(c))
        code = _LETTER_CODE.get(base)
        if code is None:
            if not base or base.isalnum():
                continue  # a letter outside the Latin alphabet: no place in Vietnamese order
            code = _OTHER_PUNCTUATION  # punctuation sorts before digits and letters (ICU non-ignorable)
        primary.append(code)
        secondary.append(str(tone))
    return "".join(primary), "".join(secondary)


def name_sort_key(full_name: str, order: str = "given_middle_family") -> str:
    """A string whose plain byte order is the Vietnamese order of names.

    Lists of people are ordered by tên, then đệm, then họ, each part compared
    in full before the next (as `ORDER BY given_name, middle, family_name` with
    a `vi` collation would): within a part letters decide first and tone marks
    only break ties (ngang, huyền, hỏi, ngã, sắc, nặng), as ICU/CLDR `vi` does.
    The key holds only digits so it sorts the same under any database collation
    (SQLite BINARY, PostgreSQL C or ICU).
    """
    parts = split_name(full_name)
    if order == "family_middle_given":
        words = [parts.family, parts.middle, parts.given]
    else:
        words = [parts.given, parts.middle, parts.family]
    key = []
    for word in words:
        p, s = _letters_and_tones(word)
        # "00" ends a part's letters ("An" sorts before "Anh"); its tones follow, so
        # "Anh …" sorts before "Ánh …" whatever the đệm and họ.
        key.append(p + "00" + s)
    return "".join(key)[:250]


def search_forms(full_name: str) -> tuple[str, str]:
    """(folded full name, folded name given-name first) for prefix search."""
    folded = fold(full_name)
    words = folded.split(" ") if folded else []
    if len(words) > 1:
        given_first = " ".join([words[-1], *words[:-1]])
    else:
        given_first = folded
    return folded, given_first


# ---------------------------------------------------------------- citizen ID (CCCD)

# Circular 07/2016/TT-BCA, Appendix 1: the 63 province codes of birth registration.
CCCD_PROVINCES_2016 = {
    "001": "Hà Nội", "002": "Hà Giang", "004": "Cao Bằng", "006": "Bắc Kạn", "008": "Tuyên Quang",
    "010": "Lào Cai", "011": "Điện Biên", "012": "Lai Châu", "014": "Sơn La", "015": "Yên Bái",
    "017": "Hòa Bình", "019": "Thái Nguyên", "020": "Lạng Sơn", "022": "Quảng Ninh", "024": "Bắc Giang",
    "025": "Phú Thọ", "026": "Vĩnh Phúc", "027": "Bắc Ninh", "030": "Hải Dương", "031": "Hải Phòng",
    "033": "Hưng Yên", "034": "Thái Bình", "035": "Hà Nam", "036": "Nam Định", "037": "Ninh Bình",
    "038": "Thanh Hóa", "040": "Nghệ An", "042": "Hà Tĩnh", "044": "Quảng Bình", "045": "Quảng Trị",
    "046": "Thừa Thiên Huế", "048": "Đà Nẵng", "049": "Quảng Nam", "051": "Quảng Ngãi", "052": "Bình Định",
    "054": "Phú Yên", "056": "Khánh Hòa", "058": "Ninh Thuận", "060": "Bình Thuận", "062": "Kon Tum",
    "064": "Gia Lai", "066": "Đắk Lắk", "067": "Đắk Nông", "068": "Lâm Đồng", "070": "Bình Phước",
    "072": "Tây Ninh", "074": "Bình Dương", "075": "Đồng Nai", "077": "Bà Rịa - Vũng Tàu", "079": "Hồ Chí Minh",
    "080": "Long An", "082": "Tiền Giang", "083": "Bến Tre", "084": "Trà Vinh", "086": "Vĩnh Long",
    "087": "Đồng Tháp", "089": "An Giang", "091": "Kiên Giang", "092": "Cần Thơ", "093": "Hậu Giang",
    "094": "Sóc Trăng", "095": "Bạc Liêu", "096": "Cà Mau",
}  # fmt: skip


@dataclass
class CitizenIdCheck:
    number: str
    errors: list[str]
    warnings: list[str]


def clean_citizen_id(raw: str | None) -> str:
    return re.sub(r"[\s.\-]", "", str(raw or ""))


def check_citizen_id(raw: str | None, dob: date | None = None, sex: str | None = None) -> CitizenIdCheck:
    """Hard error only for "not 12 digits"; the rest are warnings an official may override."""
    number = clean_citizen_id(raw)
    if not re.fullmatch(r"\d{12}", number):
        return CitizenIdCheck(number, ["Số CCCD phải gồm đúng 12 chữ số."], [])
    warnings = []
    if number[:3] not in CCCD_PROVINCES_2016:
        warnings.append(f"Mã nơi đăng ký khai sinh {number[:3]} không có trong danh mục 63 tỉnh (theo địa giới 2016).")
    d4 = int(number[3])
    year = 1900 + 100 * (d4 // 2) + int(number[4:6])
    if dob and dob.year != year:
        warnings.append(f"Năm sinh trong số CCCD là {year}, khác năm sinh đã nhập ({dob.year}).")
    if sex in ("M", "F") and (sex == "F") != (d4 % 2 == 1):
        warnings.append("Giới tính không khớp với chữ số thứ 4 của số CCCD.")
    return CitizenIdCheck(number, [], warnings)


def citizen_id_birth_place(number: str) -> str | None:
    return CCCD_PROVINCES_2016.get(number[:3])


def mask_citizen_id(number: str) -> str:
    if len(number) != 12:
        return number
    return number[:4] + "******" + number[-2:]


# ---------------------------------------------------------------- phones

_OLD_PREFIXES = {
    "0162": "032", "0163": "033", "0164": "034", "0165": "035", "0166": "036", "0167": "037",
    "0168": "038", "0169": "039", "0120": "070", "0121": "079", "0122": "077", "0126": "076",
    "0128": "078", "0123": "083", "0124": "084", "0125": "085", "0127": "081", "0129": "082",
    "0186": "056", "0188": "058", "0199": "059",
}  # fmt: skip


class PhoneError(ValueError):
    pass


def normalize_phone(raw: str | None) -> str:
    """Return E.164 (+84…) for a valid Vietnamese number; raise PhoneError otherwise."""
    digits = re.sub(r"[\s.\-()]", "", str(raw or ""))
    if not digits:
        return ""
    if not re.fullmatch(r"\+?\d+", digits):
        # phonenumbers would read letters as a keypad ("0912 ABC DEF") and drop "ext …"
        raise PhoneError("Số điện thoại chỉ gồm chữ số (có thể có dấu cách, dấu chấm, gạch ngang, +84).")
    if digits.startswith("+84"):
        digits = "0" + digits[3:].removeprefix("0")  # "+84 (0)912 …"
    elif digits.startswith("0084"):
        digits = "0" + digits[4:].removeprefix("0")
    elif digits.startswith("84") and len(digits) in (11, 12):
        digits = "0" + digits[2:]
    elif digits.startswith("+"):
        raise PhoneError("Số điện thoại phải là số Việt Nam (+84).")
    if len(digits) == 11 and digits[:4] in _OLD_PREFIXES:
        digits = _OLD_PREFIXES[digits[:4]] + digits[4:]
    try:
        parsed = phonenumbers.parse(digits, "VN")
    except phonenumbers.NumberParseException as exc:
        raise PhoneError("Số điện thoại không đúng định dạng.") from exc
    if parsed.country_code != 84 or not phonenumbers.is_valid_number(parsed):
        raise PhoneError("Số điện thoại không hợp lệ (không thuộc đầu số nào đang dùng ở Việt Nam).")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str | None) -> str:
    if not e164:
        return ""
    try:
        return phonenumbers.format_number(phonenumbers.parse(e164, "VN"), phonenumbers.PhoneNumberFormat.NATIONAL)
    except phonenumbers.NumberParseException:
        return e164


# ---------------------------------------------------------------- dates


def long_date(day: date, place: str = "") -> str:
    """Decree 30 document date: "Hà Nội, ngày 05 tháng 02 năm 2025" (day<10 and months 1–2 padded)."""
    month = f"{day.month:02d}" if day.month <= 2 else str(day.month)
    text = f"ngày {day.day:02d} tháng {month} năm {day.year}"
    return f"{place}, {text}" if place else text


def age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))
