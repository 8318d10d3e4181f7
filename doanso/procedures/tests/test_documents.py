"""Decisions and letters download as .docx (from the editable templates) and PDF, with Vietnamese text."""

import io
from datetime import date

import pytest
from django.urls import reverse

from doanso.procedures import services

from .test_admission import approve_data, register, vote

pytestmark = pytest.mark.django_db


def approved_case(cast):
    y = register(cast, "Đặng Thị Ánh Tuyết")
    case = services.admission_open(actor=cast.users["b111"], unit=cast.b111, youths=[y])
    services.case_act(actor=cast.users["b111"], case=case, action="vote", data=vote(case, {y.pk: 9}))
    return services.case_act(actor=cast.users["c11"], case=case, action="approve", data=approve_data())


def test_admission_decision_docx_and_pdf(cast, client):
    from docx import Document
    from pypdf import PdfReader

    case = approved_case(cast)
    client.force_login(cast.users["c11"])
    response = client.get(reverse("case_document", args=[case.pk, "docx"]))
    assert response.status_code == 200
    text = "\n".join(p.text for p in Document(io.BytesIO(response.content)).paragraphs)
    cells = "\n".join(c.text for t in Document(io.BytesIO(response.content)).tables for r in t.rows for c in r.cells)
    assert "Đặng Thị Ánh Tuyết" in text and "Chuẩn y kết nạp" in text
    assert "Số: 12-QĐ/ĐTN" in cells and "ĐOÀN XÃ MỸ HÒA" in cells and "ĐOÀN TNCS HỒ CHÍ MINH" in cells
    assert f"ngày {date.today():%d}" in cells and "{{" not in text + cells
    response = client.get(reverse("case_document", args=[case.pk, "pdf"]))
    assert response["Content-Type"] == "application/pdf"
    pdf_text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Đặng Thị Ánh Tuyết" in pdf_text and "QUYẾT ĐỊNH" in pdf_text
    # A sibling commune cannot download it; an open case has no document yet.
    client.force_login(cast.users["c12"])
    assert client.get(reverse("case_document", args=[case.pk, "pdf"])).status_code == 404


def test_transfer_letter(cast, client):
    from docx import Document

    case = services.transfer_open(actor=cast.users["c11"], member=cast.m_b111_1, to_unit=cast.c21)
    client.force_login(cast.users["c11"])
    assert client.get(reverse("case_document", args=[case.pk, "docx"])).status_code == 404
    services.case_act(
        actor=cast.users["c11"],
        case=case,
        action="release",
        data={"remarks": "Tốt", "dues_paid_to": date.today().strftime("%m/%Y")},
    )
    body = client.get(reverse("case_document", args=[case.pk, "docx"])).content
    text = "\n".join(p.text for p in Document(io.BytesIO(body)).paragraphs)
    assert cast.m_b111_1.full_name in text and cast.c21.name in text
