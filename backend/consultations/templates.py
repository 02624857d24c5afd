"""Reply templates (答复模板): what a department keeps ready, and its items' FAQs.

Saved templates are a department's working text, not a record of what happened (every reply
sent is an event of its consultation), so they are plain rows: create, list, delete.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING
from uuid import UUID

from backend.consultations.dto import LegalBasisBody, ReplyTemplate, ReplyTemplateCreate
from domain.application.values import check_text
from domain.errors import Forbidden, NotFound, ValidationFailed

if TYPE_CHECKING:
    from backend.auth.tokens import Principal
    from backend.services import Services

__all__ = ["create_template", "delete_template", "list_templates"]


def _department_of(staff: Principal, wanted: str | None) -> str:
    """A department's staff work with their own; supervisors and admins name one."""
    if staff.actor().oversees_all:
        if not wanted:
            raise ValidationFailed("请选择部门", {"department": "必填"})
        return wanted
    if wanted and wanted != staff.department:
        raise Forbidden("不能使用其他部门的答复模板")
    assert staff.department is not None
    return staff.department


async def list_templates(
    services: Services, staff: Principal, department: str | None = None
) -> list[ReplyTemplate]:
    """The department's saved templates (newest first), then its items' FAQs."""
    if department is None and not staff.actor().oversees_all:
        department = staff.department
    saved = await services.pool.fetch(
        "SELECT id, title, text, legal_basis FROM reply_templates"
        " WHERE ($1::text IS NULL OR department = $1) ORDER BY created_at DESC, id",
        department,
    )
    faqs = await services.pool.fetch(
        "SELECT service_code, position, question, answer, legal_basis FROM answer_index"
        " WHERE kind = 'faq' AND ($1::text IS NULL OR department = $1)"
        " ORDER BY service_code, position",
        department,
    )
    return [
        ReplyTemplate(
            id=str(r["id"]),
            source="department",
            title=r["title"],
            text=r["text"],
            legal_basis=LegalBasisBody(**r["legal_basis"]) if r["legal_basis"] else None,
        )
        for r in saved
    ] + [
        ReplyTemplate(
            id=f"faq:{r['service_code']}:{r['position']}",
            source="faq",
            title=r["question"],
            text=r["answer"],
            legal_basis=LegalBasisBody(**r["legal_basis"]) if r["legal_basis"] else None,
            service_code=r["service_code"],
        )
        for r in faqs
    ]


async def create_template(
    services: Services, staff: Principal, body: ReplyTemplateCreate
) -> ReplyTemplate:
    """Save a template for the department."""
    department = _department_of(staff, body.department)
    if not body.title.strip() or not body.text.strip():
        raise ValidationFailed("请填写标题和内容", {"title": "必填", "text": "必填"})
    check_text(title=body.title, text=body.text)
    template_id = uuid.uuid4()
    basis = None
    if body.legal_basis is not None:
        basis = {"name": body.legal_basis.name, "number": body.legal_basis.number}
    await services.pool.execute(
        "INSERT INTO reply_templates (id, department, title, text, legal_basis, created_by,"
        " created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        template_id,
        department,
        body.title.strip(),
        body.text.strip(),
        basis,
        staff.id,
        services.clock(),
    )
    return ReplyTemplate(
        id=str(template_id),
        source="department",
        title=body.title.strip(),
        text=body.text.strip(),
        legal_basis=body.legal_basis,
    )


async def delete_template(services: Services, staff: Principal, template_id: UUID) -> None:
    """Remove one of the department's templates (404 for another department's)."""
    department = None if staff.actor().oversees_all else staff.department
    status = await services.pool.execute(
        "DELETE FROM reply_templates WHERE id = $1 AND ($2::text IS NULL OR department = $2)",
        template_id,
        department,
    )
    if status.endswith(" 0"):
        raise NotFound("答复模板不存在")
