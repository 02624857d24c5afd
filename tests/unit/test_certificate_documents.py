"""What a certificate onewindow issues says: its validity from the item's years, and a PDF that
our own upload checks accept and whose text (Chinese included) can be read back."""

from __future__ import annotations

import io
from datetime import date

from pypdf import PdfReader

from domain.catalog import CertificateIssue
from domain.certificates.terms import terms_of, valid_until
from integrations.certificates import certificate_pdf
from integrations.file_content import check_content


def test_a_five_year_licence_runs_through_the_day_before_its_fifth_anniversary() -> None:
    assert valid_until(date(2026, 3, 2), 5) == date(2031, 3, 1)
    assert valid_until(date(2028, 2, 29), 1) == date(2029, 2, 28)
    assert valid_until(date(2026, 3, 2), None) is None


def test_the_terms_name_the_type_the_number_and_the_issuer() -> None:
    issue = CertificateIssue(type_code="11100000MB0143129D002", validity_years=5)
    terms = terms_of(
        issue, number="JY13101050012345", issuer="市市场监督管理局", issued_on=date(2026, 3, 2)
    )
    assert (terms.type_name, terms.number, terms.issuer) == (
        "食品经营许可证",
        "JY13101050012345",
        "市市场监督管理局",
    )
    assert terms.valid_from == date(2026, 3, 2)


def test_the_pdf_is_one_readable_page_our_upload_checks_accept() -> None:
    pdf = certificate_pdf("结婚证", [("证照编号", "J310101-2026-000123"), ("持证人", "张三")])
    check_content(pdf, "application/pdf")  # raises if it were not a well-formed PDF
    reader = PdfReader(io.BytesIO(pdf), strict=True)
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert "结婚证" in text
    assert "证照编号：J310101-2026-000123" in text
