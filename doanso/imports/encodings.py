"""Legacy Vietnamese text: tell UTF-8, Windows-1258 and TCVN3 (ABC) apart and turn them into NFC.

No package on PyPI decodes TCVN3 and is kept up, so the code page is here: TCVN 5712:1993 "VN3",
the 8-bit ABC fonts (.VnTime, .VnArial) of the 1990s–2000s that many provincial sheets still use.
It holds the lower-case letters with tone marks and the capitals Ă Â Ê Ô Ơ Ư Đ (capitals with a
tone were typed in a separate "H" font using the lower-case codes, so they decode as lower case).
"""

from __future__ import annotations

import unicodedata

# TCVN3 byte → letter. "Hå ChÝ Minh" (how TCVN3 looks when read as Windows-1252) is "Hồ Chí Minh".
_TCVN3 = {
    0xA1: "Ă", 0xA2: "Â", 0xA3: "Ê", 0xA4: "Ô", 0xA5: "Ơ", 0xA6: "Ư", 0xA7: "Đ",
    0xA8: "ă", 0xA9: "â", 0xAA: "ê", 0xAB: "ô", 0xAC: "ơ", 0xAD: "ư", 0xAE: "đ",
    0xB5: "à", 0xB6: "ả", 0xB7: "ã", 0xB8: "á", 0xB9: "ạ",
    0xBB: "ằ", 0xBC: "ẳ", 0xBD: "ẵ", 0xBE: "ắ", 0xC6: "ặ",
    0xC7: "ầ", 0xC8: "ẩ", 0xC9: "ẫ", 0xCA: "ấ", 0xCB: "ậ",
    0xCC: "è", 0xCE: "ẻ", 0xCF: "ẽ", 0xD0: "é", 0xD1: "ẹ",
    0xD2: "ề", 0xD3: "ể", 0xD4: "ễ", 0xD5: "ế", 0xD6: "ệ",
    0xD7: "ì", 0xD8: "ỉ", 0xDC: "ĩ", 0xDD: "í", 0xDE: "ị",
    0xDF: "ò", 0xE1: "ỏ", 0xE2: "õ", 0xE3: "ó", 0xE4: "ọ",
    0xE5: "ồ", 0xE6: "ổ", 0xE7: "ỗ", 0xE8: "ố", 0xE9: "ộ",
    0xEA: "ờ", 0xEB: "ở", 0xEC: "ỡ", 0xED: "ớ", 0xEE: "ợ",
    0xEF: "ù", 0xF1: "ủ", 0xF2: "ũ", 0xF3: "ú", 0xF4: "ụ",
    0xF5: "ừ", 0xF6: "ử", 0xF7: "ữ", 0xF8: "ứ", 0xF9: "ự",
    0xFA: "ỳ", 0xFB: "ỷ", 0xFC: "ỹ", 0xFD: "ý", 0xFE: "ỵ",
}  # fmt: skip
_TCVN3_ENCODE = {ch: b for b, ch in _TCVN3.items()}


def decode_tcvn3(data: bytes) -> str:
    """Bytes outside the code page (0x80–0xA0, a few others) are read as Windows-1252 would."""
    cp1252 = data.decode("cp1252", errors="replace")
    return "".join(_TCVN3.get(b, cp1252[i]) if b >= 0x80 else chr(b) for i, b in enumerate(data))


def encode_tcvn3(text: str) -> bytes:
    """The reverse (for test files): capitals with tone marks are written lower case, as the fonts did."""
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        if ch in _TCVN3_ENCODE:
            out.append(_TCVN3_ENCODE[ch])
        elif ch.lower() in _TCVN3_ENCODE:
            out.append(_TCVN3_ENCODE[ch.lower()])
        else:
            out.extend(ch.encode("cp1252"))
    return bytes(out)


def encode_cp1258(text: str) -> bytes:
    """Windows-1258 as Vietnamese Windows wrote it: base letter (ă, ê, ơ…) + a combining tone mark."""
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        try:
            out.extend(ch.encode("cp1258"))
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", ch)
            tone = "".join(p for p in parts if p in "\u0300\u0309\u0303\u0301\u0323")
            base = unicodedata.normalize("NFC", "".join(p for p in parts if p not in tone))
            out.extend((base + tone).encode("cp1258"))
    return bytes(out)


def _vietnamese_letters() -> set[str]:
    vowels = "aăâeêioôơuưy"
    tones = ["", "\u0300", "\u0309", "\u0303", "\u0301", "\u0323"]
    letters = {"đ", "Đ"}
    for v in vowels:
        for t in tones:
            ch = unicodedata.normalize("NFC", v + t)
            letters.update({ch, ch.upper()})
    return letters


VIETNAMESE = _vietnamese_letters()
_TONED = {
    ch for ch in VIETNAMESE if any(m in unicodedata.normalize("NFD", ch) for m in "\u0300\u0309\u0303\u0301\u0323")
}


# Non-ASCII characters that ordinary Vietnamese text does contain.
_FINE = set("“”‘’–—…·°№€\u00a0")


def oddness(text: str) -> int:
    """How un-Vietnamese a decoded text looks: foreign letters, stray marks or symbols, words with two tones."""
    bad = 0
    for word in text.split():
        toned = 0
        for ch in word:
            if ord(ch) < 128:
                continue
            if ch in _TONED:
                toned += 1
            elif ch not in VIETNAMESE and ch not in _FINE:
                bad += 1
        if toned > 1:
            bad += toned
    return bad


def decode_text(data: bytes) -> tuple[str, str]:
    """(NFC text, encoding name) of a text file: UTF-8 (with or without BOM), UTF-16, Windows-1258, TCVN3."""
    if data.startswith(b"\xef\xbb\xbf"):
        return unicodedata.normalize("NFC", data[3:].decode("utf-8", errors="replace")), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return unicodedata.normalize("NFC", data.decode("utf-16")), "utf-16"
    try:
        return unicodedata.normalize("NFC", data.decode("utf-8")), "utf-8"
    except UnicodeDecodeError:
        pass
    candidates = []
    for name, decode in (
        ("windows-1258", lambda d: d.decode("cp1258", errors="replace")),
        ("tcvn3", decode_tcvn3),
    ):
        text = unicodedata.normalize("NFC", decode(data))
        candidates.append((oddness(text), name, text))
    candidates.sort(key=lambda c: c[0])
    _, name, text = candidates[0]
    return text, name


ENCODING_LABELS = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 (có BOM)",
    "utf-16": "UTF-16 (Unicode của Excel)",
    "windows-1258": "Windows-1258",
    "tcvn3": "TCVN3 (ABC)",
    "xlsx": "Excel",
}
