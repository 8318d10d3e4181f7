"""Decisions and letters as Word (.docx, from editable templates) and PDF, in the Union's 2013 layout.

Templates live in `document_templates/` as ordinary .docx files with Jinja tags (docxtpl): an
office can open them in Word, change wording or layout, and keep the tags. `build_templates()`
regenerates the defaults. PDF is drawn with fpdf2 and the Roboto font (Vietnamese-capable, from
PyPI), so no system package is needed.
"""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path
from typing import Any

from doanso.core import vn
from doanso.organisations.models import Unit

from .models import Case, CaseSubject

TEMPLATE_DIR = Path(__file__).resolve().parent / "document_templates"

DOCUMENTS = {
    "admission": ("quyet-dinh-chuan-y-ket-nap", "QUYẾT ĐỊNH", "Về việc chuẩn y kết nạp đoàn viên"),
    "transfer": ("giay-gioi-thieu-sinh-hoat-doan", "GIẤY GIỚI THIỆU", "Sinh hoạt Đoàn"),
}


def has_document(case: Case) -> bool:
    if case.kind == "admission":
        return case.state == "approved"
    if case.kind == "transfer":
        return case.state in ("released", "placed", "left_system") and not case.data.get("direct")
    return False


def _place(unit: Unit) -> str:
    if unit.ward_id:
        return unit.ward.name.split(" ", 1)[-1]
    if unit.province_id:
        return unit.province.name
    return "Hà Nội"


def context_for(case: Case) -> dict[str, Any]:
    issuer = case.deciding_unit or case.origin_unit
    if case.kind == "admission":
        issuer = Unit.objects.get(pk=case.steps.get(action="approve").actor_unit_id)
    elif case.kind == "transfer":
        issuer = case.origin_unit
    superior = issuer.parent
    people = []
    for s in CaseSubject.objects.filter(case=case).select_related("member__unit", "youth"):
        person = s.member or s.youth
        if case.kind == "admission" and s.result != "admitted":
            continue
        people.append(
            {
                "name": person.full_name,
                "dob": person.date_of_birth.strftime("%d/%m/%Y"),
                "branch": case.origin_unit.name,
                "card": getattr(person, "card_number", ""),
                "admitted": person.admitted_on.strftime("%d/%m/%Y") if getattr(person, "admitted_on", None) else "",
            }
        )
    slug, title, subtitle = DOCUMENTS[case.kind]
    on = (
        date.fromisoformat(case.data["decision_on"])
        if case.data.get("decision_on")
        else (case.decided_at or case.opened_at).date()
    )
    receiver = Unit.objects.filter(pk=case.data.get("to_unit")).first() if case.kind == "transfer" else None
    return {
        "superior_name": (superior.name if superior else "").upper(),
        "issuer_name": issuer.name.upper(),
        "number": case.data.get("decision_number") or f"{case.pk}-GGT/{(issuer.short_name or 'ĐTN')}",
        "place_date": vn.long_date(on, _place(issuer)),
        "title": title,
        "subtitle": subtitle,
        "people": people,
        "issuer": issuer.name,
        "receiver": receiver.name if receiver else case.data.get("destination", ""),
        "remarks": case.data.get("remarks", ""),
        "dues_paid_to": case.data.get("dues_paid_to", ""),  # templates edited before dues_line keep working
        "dues_line": f"Đã đóng đoàn phí đến tháng {case.data['dues_paid_to']}."
        if case.data.get("dues_paid_to")
        else "Chưa đóng đoàn phí.",
        "signer": case.data.get("signer", ""),
        "signer_title": "BÍ THƯ",
        "on_behalf": "TM. BAN THƯỜNG VỤ"
        if issuer.kind in ("province", "central_direct", "central")
        else "TM. BAN CHẤP HÀNH",
        "filename": f"{slug}-{case.pk}",
    }


# ---------------------------------------------------------------- Word


def render_docx(case: Case) -> bytes:
    from docxtpl import DocxTemplate

    ctx = context_for(case)
    slug = DOCUMENTS[case.kind][0]
    doc = DocxTemplate(str(TEMPLATE_DIR / f"{slug}.docx"))
    doc.render(ctx)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def build_templates() -> list[Path]:
    """Write the default templates (Times New Roman 14, margins 20/20/30/20 mm, 2013 header)."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    TEMPLATE_DIR.mkdir(exist_ok=True)
    written = []
    for kind, (slug, _title, _subtitle) in DOCUMENTS.items():
        doc = Document()
        section = doc.sections[0]
        section.page_height, section.page_width = Mm(297), Mm(210)
        section.top_margin, section.bottom_margin, section.left_margin, section.right_margin = (
            Mm(20),
            Mm(20),
            Mm(30),
            Mm(20),
        )
        style = doc.styles["Normal"]
        style.font.name = "Times New Roman"
        style.font.size = Pt(14)
        table = doc.add_table(rows=1, cols=2)
        left, right = table.rows[0].cells
        left.paragraphs[0].add_run("{{ superior_name }}")
        p = left.add_paragraph()
        p.add_run("{{ issuer_name }}").bold = True
        left.add_paragraph("***")
        left.add_paragraph("Số: {{ number }}")
        r = right.paragraphs[0].add_run("ĐOÀN TNCS HỒ CHÍ MINH")
        r.bold, r.underline = True, True
        right.add_paragraph().add_run("{{ place_date }}").italic = True
        for cell in (left, right):
            for para in cell.paragraphs:
                para.alignment = WD_ALIGN_PARAGRAPH.CENTER
        for text, bold in (("{{ title }}", True), ("{{ subtitle }}", True)):
            para = doc.add_paragraph()
            para.alignment = WD_ALIGN_PARAGRAPH.CENTER
            para.add_run(text).bold = bold
        if kind == "admission":
            doc.add_paragraph(
                "Căn cứ Điều lệ Đoàn TNCS Hồ Chí Minh; xét đề nghị của {{ people[0].branch if people else '' }} "
                "và kết quả biểu quyết của chi đoàn, {{ issuer }} quyết định:"
            )
            doc.add_paragraph("Điều 1. Chuẩn y kết nạp vào Đoàn TNCS Hồ Chí Minh các thanh niên có tên sau:")
            doc.add_paragraph(
                "{% for p in people %}{{ loop.index }}. {{ p.name }}, sinh ngày {{ p.dob }}, {{ p.branch }}. {% endfor %}"
            )
            doc.add_paragraph("Điều 2. Chi đoàn và các đồng chí có tên tại Điều 1 căn cứ quyết định thi hành.")
        else:
            doc.add_paragraph("{{ issuer }} trân trọng giới thiệu:")
            doc.add_paragraph(
                "{% for p in people %}Đồng chí {{ p.name }}, sinh ngày {{ p.dob }}, vào Đoàn ngày {{ p.admitted }}, "
                "số thẻ đoàn viên {{ p.card }}.{% endfor %}"
            )
            doc.add_paragraph("Đến sinh hoạt Đoàn tại: {{ receiver }}.")
            doc.add_paragraph("Nhận xét: {{ remarks }}")
            doc.add_paragraph("{{ dues_line }}")
        sign = doc.add_table(rows=1, cols=2)
        left, right = sign.rows[0].cells
        left.paragraphs[0].add_run("Nơi nhận:").bold = True
        left.add_paragraph("- Như Điều 2;" if kind == "admission" else "- Như trên;")
        left.add_paragraph("- Lưu VP.")
        right.paragraphs[0].add_run("{{ on_behalf }}").bold = True
        right.add_paragraph().add_run("{{ signer_title }}").bold = True
        right.add_paragraph("")
        right.add_paragraph("")
        right.add_paragraph().add_run("{{ signer }}").bold = True
        for para in right.paragraphs:
            para.alignment = WD_ALIGN_PARAGRAPH.CENTER
        path = TEMPLATE_DIR / f"{slug}.docx"
        doc.save(str(path))
        written.append(path)
    return written


# ---------------------------------------------------------------- PDF


def render_pdf(case: Case) -> bytes:
    import font_roboto
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    ctx = context_for(case)
    fonts = Path(font_roboto.__file__).parent / "files"
    pdf = FPDF(format="A4")
    pdf.set_margins(30, 20, 20)
    pdf.add_font("Roboto", "", str(fonts / "Roboto-Regular.ttf"))
    pdf.add_font("Roboto", "B", str(fonts / "Roboto-Bold.ttf"))
    pdf.add_font("Roboto", "I", str(fonts / "Roboto-Italic.ttf"))
    pdf.add_page()
    half = (210 - 50) / 2
    top = pdf.get_y()
    pdf.set_font("Roboto", "", 11)
    pdf.multi_cell(half, 6, ctx["superior_name"], align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Roboto", "B", 11)
    pdf.multi_cell(half, 6, ctx["issuer_name"], align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Roboto", "", 11)
    pdf.multi_cell(half, 6, "***\nSố: " + ctx["number"], align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    bottom = pdf.get_y()
    pdf.set_xy(30 + half, top)
    pdf.set_font("Roboto", "B", 12)
    pdf.multi_cell(half, 6, "ĐOÀN TNCS HỒ CHÍ MINH", align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font("Roboto", "I", 11)
    pdf.multi_cell(half, 6, ctx["place_date"], align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_y(max(bottom, pdf.get_y()) + 8)
    pdf.set_font("Roboto", "B", 14)
    pdf.multi_cell(0, 8, ctx["title"], align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Roboto", "B", 12)
    pdf.multi_cell(0, 7, ctx["subtitle"], align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    pdf.set_font("Roboto", "", 12)
    lines = []
    if case.kind == "admission":
        lines.append(
            f"Căn cứ Điều lệ Đoàn TNCS Hồ Chí Minh; xét đề nghị và kết quả biểu quyết của chi đoàn, {ctx['issuer']} quyết định:"
        )
        lines.append("Điều 1. Chuẩn y kết nạp vào Đoàn TNCS Hồ Chí Minh các thanh niên có tên sau:")
        lines += [f"    {i}. {p['name']}, sinh ngày {p['dob']}, {p['branch']}." for i, p in enumerate(ctx["people"], 1)]
        lines.append("Điều 2. Chi đoàn và các đồng chí có tên tại Điều 1 căn cứ quyết định thi hành.")
    else:
        lines.append(f"{ctx['issuer']} trân trọng giới thiệu:")
        lines += [
            f"Đồng chí {p['name']}, sinh ngày {p['dob']}, vào Đoàn ngày {p['admitted']}, số thẻ đoàn viên {p['card']}."
            for p in ctx["people"]
        ]
        lines += [f"Đến sinh hoạt Đoàn tại: {ctx['receiver']}.", f"Nhận xét: {ctx['remarks']}",
                  ctx["dues_line"]]  # fmt: skip
    for line in lines:
        pdf.multi_cell(0, 7, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(1)
    pdf.ln(6)
    y = pdf.get_y()
    pdf.set_font("Roboto", "B", 11)
    pdf.multi_cell(half, 6, "Nơi nhận:", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Roboto", "", 11)
    pdf.multi_cell(
        half,
        6,
        "- Như Điều 2;\n- Lưu VP." if case.kind == "admission" else "- Như trên;\n- Lưu VP.",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.set_xy(30 + half, y)
    pdf.set_font("Roboto", "B", 12)
    pdf.multi_cell(
        half,
        6,
        f"{ctx['on_behalf']}\n{ctx['signer_title']}\n\n\n\n{ctx['signer']}",
        align="C",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    return bytes(pdf.output())
