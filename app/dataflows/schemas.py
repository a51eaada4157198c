"""Response shapes of the data-flow map API."""

from dataclasses import asdict
from datetime import date
from typing import Literal

from pydantic import Field

from app.core.schemas import ResponseModel
from app.dataflows.graph import DataFlowMap, Layer


class AgreementPublic(ResponseModel):
    document_id: int
    type: str
    title: str
    sha256: str
    signed_on: date | None
    effective_on: date | None
    expires_on: date | None
    ends_on: date | None = Field(description="End of the current term (an auto-renewal rolled forward); null: open-ended")
    status: str = Field(description="in_force or expiring, on the map's day")
    transfer_mechanism: str | None


class FlagPublic(ResponseModel):
    code: Literal["no_dpa", "transfer_without_mechanism", "phi_without_baa", "cardholder_without_pci_aoc",
                  "shadow_addon"]
    severity: Literal["high", "critical"]
    message: str
    countries: list[str] = Field(description="The countries a transfer flag is about")


class NodePublic(ResponseModel):
    id: str = Field(examples=["vendor:12"])
    layer: Layer
    kind: str = Field(description="heroku_app, heroku_addon, saas, api, other, shadow_addon, vendor or subprocessor")
    label: str
    ref_id: int | None = Field(description="The integration, add-on installation or vendor id")
    detail: str
    countries: list[str]
    headquarters: str | None
    data_categories: list[str] = Field(description="Apps: the data the app itself holds")
    agreement: AgreementPublic | None = Field(description="Vendors: the DPA in force")
    agreements: list[AgreementPublic] = Field(description="Vendors: every agreement in force the gates rely on")
    transfer_mechanisms: list[str]
    flags: list[str] = Field(description="The flag codes on the flows into or out of the node")


class EdgePublic(ResponseModel):
    id: str
    source: str
    target: str
    data_categories: list[str]
    filtering: str | None = Field(description="How we limit what is shared (the integration's data_filtering)")
    fields_shared: list[str]
    inherited_categories: list[str] = Field(description="Categories the add-on receives because its app holds them")
    countries: list[str] = Field(description="Where the data lands")
    purpose: str
    integration_ids: list[int]
    flags: list[FlagPublic]
    highlight: bool = Field(description="Flagged, or part of a flagged flow")


class MapFilters(ResponseModel):
    app: str | None
    data_category: str | None
    vendor_id: int | None
    scope: Literal["current", "approved"]
    shadow: bool


class DataFlowMapPublic(ResponseModel):
    on: date = Field(description="The day the agreements are judged on")
    version: str
    filters: MapFilters
    counts: dict[str, int] = Field(description="Nodes per layer")
    flag_counts: dict[str, int] = Field(description="Flags per code, over all edges")
    nodes: list[NodePublic]
    edges: list[EdgePublic]


def public(flow_map: DataFlowMap, *, scope: str, shadow: bool) -> DataFlowMapPublic:
    data = asdict(flow_map)
    return DataFlowMapPublic(
        on=flow_map.on, version=flow_map.version,
        filters=MapFilters(**data["filters"], scope=scope, shadow=shadow),  # type: ignore[arg-type]
        counts={layer.value: len(flow_map.nodes_in(layer)) for layer in Layer},
        flag_counts=flow_map.flag_counts,
        nodes=[NodePublic.model_validate(n) for n in data["nodes"]],
        edges=[EdgePublic.model_validate(e) for e in data["edges"]],
    )
