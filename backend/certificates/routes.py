"""E-certificates (电子证照): a citizen's own and their uses, their identity for the platform;
staff revoke what they issued and see the certificates a case stands on."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, Response, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody

from backend.certificates import commands, identity, queries
from backend.certificates.dto import (
    CaseCertificate,
    CertificateDetail,
    CertificateSummary,
    CertificateUse,
    DeclareIdentity,
    IdentityView,
)
from backend.certificates.platform import refresh_from_platform
from backend.files.documents import open_document
from backend.handling import CommandAccepted
from backend.http.dto import Reason
from backend.http.guards import STAFF, PrincipalDep, ServicesDep, requires
from backend.http.rate_limit import rate_limit
from backend.http.read_source import After
from domain.errors import NotFound

__all__ = ["CaseCertificatesController", "CertificatesAdminController", "MyCertificatesController"]

CertificateId = FromPath[UUID]


class MyCertificatesController(Controller):
    path = "/api/v1/me"
    tags = ["certificates"]  # noqa: RUF012
    guards = [requires("citizen")]  # noqa: RUF012

    @get("/certificates", operation_id="listMyCertificates")
    async def list_mine(
        self,
        services: ServicesDep,
        principal: PrincipalDep,
        refresh: FromQuery[bool] = False,
        after: After = None,
    ) -> list[CertificateSummary]:
        """My e-certificates; ``refresh=true`` asks the e-certificate platform first (needs a
        declared identity; 503 ``unavailable`` when the platform cannot answer)."""
        if refresh:
            position = await refresh_from_platform(services, UUID(principal.id))
            after = max(after or 0, position) or None
        return await queries.list_mine(services, principal, after)

    @get("/certificates/{certificate_id:uuid}", operation_id="getMyCertificate")
    async def get_mine(
        self,
        services: ServicesDep,
        principal: PrincipalDep,
        certificate_id: CertificateId,
        after: After = None,
    ) -> CertificateDetail:
        """One of my certificates, with the file id of its document."""
        return await queries.get_mine(services, principal, certificate_id, after)

    @get("/certificates/{certificate_id:uuid}/uses", operation_id="listMyCertificateUses")
    async def uses(
        self,
        services: ServicesDep,
        principal: PrincipalDep,
        certificate_id: CertificateId,
        after: After = None,
    ) -> list[CertificateUse]:
        """Every use of my certificate: when, for which application, department and purpose."""
        return await queries.uses_of(services, principal, certificate_id, after)

    @get(
        "/certificates/{certificate_id:uuid}/document",
        operation_id="getMyCertificateDocument",
        media_type="application/pdf",
    )
    async def document(
        self, services: ServicesDep, principal: PrincipalDep, certificate_id: CertificateId
    ) -> Response[bytes]:
        """The certificate's document (PDF)."""
        detail = await queries.get_mine(services, principal, certificate_id)
        found = None
        if detail.file_id is not None:
            found = await open_document(services, UUID(principal.id), UUID(detail.file_id))
        if found is None:
            raise NotFound("该电子证照没有证照文件")
        content, content_type = found
        return Response(content, media_type=content_type)

    @put("/identity", operation_id="declareIdentity", guards=[rate_limit("create")])
    async def declare(
        self, services: ServicesDep, principal: PrincipalDep, data: JSONBody[DeclareIdentity]
    ) -> IdentityView:
        """实名信息: my name and ID number, once, for the e-certificate platform."""
        return await identity.declare_identity(services, principal, data.name, data.id_number)

    @get("/identity", operation_id="getIdentity")
    async def view(self, services: ServicesDep, principal: PrincipalDep) -> IdentityView:
        """My declared identity, the ID number masked (404: none declared)."""
        return await identity.view_identity(services, principal)


class CertificatesAdminController(Controller):
    path = "/api/v1/admin/certificates"
    tags = ["certificates"]  # noqa: RUF012
    guards = [requires(*STAFF)]  # noqa: RUF012

    @post("/{certificate_id:uuid}/revoke", operation_id="revokeCertificate", status_code=200)
    async def revoke(
        self,
        services: ServicesDep,
        principal: PrincipalDep,
        certificate_id: CertificateId,
        data: JSONBody[Reason],
    ) -> CommandAccepted:
        """Revoke (admins, or the department that issued it), with a reason."""
        return await commands.revoke(services, principal, certificate_id, data.reason)


class CaseCertificatesController(Controller):
    path = "/api/v1/admin/applications"
    tags = ["certificates"]  # noqa: RUF012
    guards = [requires(*STAFF)]  # noqa: RUF012

    @get("/{application_id:uuid}/certificates", operation_id="caseCertificates")
    async def of_case(
        self, services: ServicesDep, principal: PrincipalDep, application_id: FromPath[UUID]
    ) -> list[CaseCertificate]:
        """The certificates standing for the case's materials, each verified again now."""
        return await queries.case_certificates(services, principal, application_id)
