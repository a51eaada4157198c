"""Documents: agreements (DPA, BAA, SCC, MSA) and evidence (SOC 2, ISO 27001, PCI AoC, ...) of a vendor.

A document is never overwritten: a new version supersedes the old one and both are kept.
"""

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, Column, ForeignKey, Index, Integer
from sqlmodel import Field, SQLModel

from app.core.db import JSONType
from app.core.models import timestamp_field


class DocumentType(StrEnum):
    dpa = "dpa"
    baa = "baa"
    scc = "scc"
    msa = "msa"
    soc2_type2 = "soc2_type2"
    iso27001 = "iso27001"
    pci_aoc = "pci_aoc"
    pen_test = "pen_test"
    insurance = "insurance"
    other = "other"


class TransferMechanism(StrEnum):
    none = "none"
    adequacy = "adequacy"
    scc = "scc"
    bcr = "bcr"
    dpf = "dpf"


def _in(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v.value}'" for v in values) + ")"


class Document(SQLModel, table=True):
    __tablename__ = "document"
    __table_args__ = (
        CheckConstraint(_in("type", DocumentType), name="type"),
        CheckConstraint(f"transfer_mechanism IS NULL OR {_in('transfer_mechanism', TransferMechanism)}",
                        name="transfer_mechanism"),
        CheckConstraint("expires_on IS NULL OR effective_on IS NULL OR expires_on >= effective_on", name="dates"),
        CheckConstraint("notice_days IS NULL OR notice_days >= 0", name="notice_days"),
        CheckConstraint("supersedes_id IS NULL OR supersedes_id <> id", name="not_self"),
        Index("ix_document_vendor_id_type", "vendor_id", "type", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    vendor_id: int = Field(foreign_key="vendor.id")
    type: str = Field(max_length=20)
    title: str = Field(max_length=200)
    # The client's file name, cleaned: shown and offered on download, never used to find the bytes.
    file_name: str = Field(max_length=120)
    sha256: str = Field(sa_column=Column(ForeignKey("stored_file.sha256"), nullable=False, index=True))
    size: int = Field(sa_column=Column(BigInteger, nullable=False))
    media_type: str = Field(max_length=100)
    signed_on: date | None = None
    effective_on: date | None = None
    expires_on: date | None = None
    auto_renews: bool = False
    renewal_months: int | None = Field(default=None, description="Term of each automatic renewal")
    notice_days: int | None = None
    # DPA terms
    transfer_mechanism: str | None = Field(default=None, max_length=20)
    breach_notice_hours: int | None = None
    subprocessors: list[dict[str, Any]] | None = Field(default=None, sa_column=Column(JSONType, nullable=True))
    notes: str | None = Field(default=None, max_length=4000)
    # The version this one replaces; each version is replaced at most once, so versions form a line.
    supersedes_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("document.id"), nullable=True, unique=True)
    )
    uploaded_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = timestamp_field()


class DocumentIntegration(SQLModel, table=True):
    """A document that covers particular integrations of its vendor (most cover the whole vendor)."""

    __tablename__ = "document_integration"

    document_id: int = Field(foreign_key="document.id", primary_key=True)
    integration_id: int = Field(foreign_key="integration.id", primary_key=True, index=True)
