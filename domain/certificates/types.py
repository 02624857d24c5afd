"""The e-certificate types onewindow knows (电子证照目录), by type code.

The codes are illustrative: they have the shape of the national e-certificate directory's type
codes (the defining ministry's 18-character unified social credit code followed by a 3-digit
serial), but they are invented for the demo, not the official ones. A deployment replaces this
table by the province's directory.
"""

from __future__ import annotations

import msgspec

__all__ = ["CERTIFICATE_TYPES", "CertificateType", "code_of", "type_name"]


class CertificateType(msgspec.Struct, frozen=True):
    """One type of e-certificate: its code, its name and who defines it."""

    code: str
    name: str
    ministry: str


_TYPES = (
    CertificateType("11100000000013338W001", "居民身份证", "公安部"),
    CertificateType("11100000000013338W002", "居民户口簿", "公安部"),
    CertificateType("11100000000013013K001", "结婚证", "民政部"),
    CertificateType("11100000000013013K002", "离婚证", "民政部"),
    CertificateType("11100000MB0143129D001", "营业执照", "国家市场监督管理总局"),
    CertificateType("11100000MB0143129D002", "食品经营许可证", "国家市场监督管理总局"),
    CertificateType("11100000717800441H001", "社会保障卡", "人力资源社会保障部"),
    CertificateType("11100000MB1503658H001", "建设工程规划许可证", "自然资源部"),
    CertificateType("11100000000013173R001", "建筑工程施工许可证", "住房和城乡建设部"),
    CertificateType("11100000MB1679224X001", "医师执业证书", "国家卫生健康委员会"),
    CertificateType("11100000MB1679224X002", "出生医学证明", "国家卫生健康委员会"),
    CertificateType(
        "11100000MB0187453T001", "公众聚集场所投入使用、营业前消防安全检查合格证", "应急管理部"
    ),
)
CERTIFICATE_TYPES: dict[str, CertificateType] = {t.code: t for t in _TYPES}
_BY_NAME = {t.name: t.code for t in _TYPES}


def type_name(code: str) -> str:
    """The name of a type code (the code itself when the directory does not know it)."""
    known = CERTIFICATE_TYPES.get(code)
    return known.name if known is not None else code


def code_of(code_or_name: str) -> str:
    """A type code, given a code or (as catalogue files before type codes said) a name."""
    return _BY_NAME.get(code_or_name, code_or_name)
