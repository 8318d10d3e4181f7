"""The streaming writers: BOM, formula neutralisation, xlsx rows, PDF pages with a repeated header."""

import io
from datetime import date

from openpyxl import load_workbook
from pypdf import PdfReader

from doanso.jobs.writers import Column, CsvWriter, Heading, PdfWriter, XlsxWriter, number_text

HEAD = Heading(title="DANH SÁCH THỬ", unit="Đoàn xã Mỹ Hòa", day=date(2026, 3, 5), subtitle="Năm 2025")
COLS = [Column("STT", 5, numeric=True), Column("Họ và tên", 30), Column("Ghi chú", 20), Column("Số", 8, numeric=True)]
EVIL = ["=1+2", "+84 912", "-SUM(A1)", "@cmd", "bình thường"]


def write(cls, rows):
    buf = io.BytesIO()
    w = cls(buf, heading=HEAD, columns=COLS)
    for row in rows:
        w.write(row)
    w.close()
    return buf.getvalue()


def test_csv_has_bom_header_and_neutralised_cells():
    body = write(CsvWriter, [(i, "Nguyễn Thị Ánh", text, -5) for i, text in enumerate(EVIL, 1)])
    assert body.startswith(b"\xef\xbb\xbf")
    lines = body.decode("utf-8-sig").splitlines()
    assert lines[0] == "STT,Họ và tên,Ghi chú,Số"
    notes = [line.split(",")[2] for line in lines[1:]]
    assert notes == ["'=1+2", "'+84 912", "'-SUM(A1)", "'@cmd", "bình thường"]
    assert all(line.endswith(",-5") for line in lines[1:])  # numbers are not text: left alone


def test_xlsx_opens_with_heading_header_and_rows():
    rows = [(i, "Trần Văn Bảo", text, i * 1.5) for i, text in enumerate(EVIL, 1)] + [(6, None, date(2004, 2, 29), 0)]
    wb = load_workbook(io.BytesIO(write(XlsxWriter, rows)))
    values = list(wb.active.iter_rows(values_only=True))
    assert values[0][0] == "DANH SÁCH THỬ"
    assert values[1][0] == "Đoàn xã Mỹ Hòa"
    assert "05/03/2026" in " ".join(str(v) for v in values[2] if v)
    assert list(values[4]) == ["STT", "Họ và tên", "Ghi chú", "Số"]
    data = values[5:]
    assert len(data) == 6
    assert [r[2] for r in data[:5]] == ["'=1+2", "'+84 912", "'-SUM(A1)", "'@cmd", "bình thường"]
    assert data[1][3] == 3.0
    assert data[5][1] in (None, "") and data[5][2] == "29/02/2004"


def test_pdf_repeats_the_header_on_every_page_and_holds_every_row():
    rows = [(i, f"Đoàn viên số {i}", "Chi đoàn 1 Mỹ Hòa", i) for i in range(1, 151)]
    reader = PdfReader(io.BytesIO(write(PdfWriter, rows)))
    assert len(reader.pages) >= 3
    texts = [page.extract_text() for page in reader.pages]
    assert all("Họ và tên" in t for t in texts)  # the column titles on every page
    assert "DANH SÁCH THỬ" in texts[0] and "DANH SÁCH THỬ" not in texts[1]
    assert "05/03/2026" in texts[0]
    assert f"Trang 1/{len(reader.pages)}" in texts[0]
    found = sum(t.count("Đoàn viên số") for t in texts)
    assert found == 150
    assert "Đoàn viên số 150" in texts[-1]


def test_pdf_cuts_long_text_to_its_column():
    rows = [(1, "Nguyễn " * 40, "x", 1)]
    text = PdfReader(io.BytesIO(write(PdfWriter, rows))).pages[0].extract_text()
    assert "…" in text


def test_vietnamese_number_text():
    assert number_text(1234567) == "1.234.567"
    assert number_text(12.5) == "12,5"
    assert number_text("abc") == "abc"
