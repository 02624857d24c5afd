"""What an e-certificate issued as an application's result says: type, number, issuer and
validity, from the item's ``issuesCertificate`` as the application pinned it."""

from __future__ import annotations

from datetime import date, timedelta

import msgspec

from domain.catalog import CertificateIssue

__all__ = ["CertificateTerms", "terms_of", "valid_until"]


class CertificateTerms(msgspec.Struct, frozen=True, kw_only=True):
    """The public content of a certificate about to be issued."""

    type_code: str
    type_name: str
    number: str
    issuer: str
    issuer_code: str
    issued_on: date
    valid_from: date
    valid_until: date | None


def valid_until(issued_on: date, years: int | None) -> date | None:
    """The last day of a validity of ``years`` from ``issued_on`` (None: indefinitely). A
    five-year licence issued on 2026-03-02 is valid through 2031-03-01; one issued on 29
    February ends on the 28th."""
    if years is None:
        return None
    try:
        anniversary = issued_on.replace(year=issued_on.year + years)
    except ValueError:  # 29 February, and the anniversary year has none
        anniversary = issued_on.replace(year=issued_on.year + years, day=28) + timedelta(days=1)
    return anniversary - timedelta(days=1)


def terms_of(
    issue: CertificateIssue, *, number: str, issuer: str, issued_on: date
) -> CertificateTerms:
    """The terms of a certificate issued by ``issuer`` under number ``number`` on a day."""
    return CertificateTerms(
        type_code=issue.type_code,
        type_name=issue.type_name,
        number=number,
        issuer=issuer,
        issuer_code=issue.issuer_code,
        issued_on=issued_on,
        valid_from=issued_on,
        valid_until=valid_until(issued_on, issue.validity_years),
    )
