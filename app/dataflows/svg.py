"""The data-flow map drawn as SVG on the server: one column per layer, one fixed-height row per node.

Pure: `layout` places the nodes (deterministic: the same map gives the same drawing) and `render_svg`
writes the markup. Readable at hundreds of integrations: rows never overlap, each column follows the
one before it (an integration sits under its app, a vendor beside the integrations that feed it), long
names are shortened on the drawing with the full text in the node's <title> tooltip, and flagged flows
are drawn last, thick and red. Every piece of text is escaped; the drawing uses presentation attributes
only (no <style>, no script), so it shows the same inline in a page under a strict CSP and as a file.
"""

import re
from dataclasses import dataclass
from xml.sax.saxutils import escape

from app.dataflows.graph import LAYERS, AgreementFact, DataFlowMap, Edge, Layer, Node

ROW = 30  # px from one node's top to the next in a column
NODE_H = 24
NODE_W = 250
GAP = 150  # between columns, where the edges run
MARGIN = 24
TOP = 112  # title, legend and column headings
LABEL_CHARS = 28
SIDE_CHARS = 13
NORMAL = "#8c96a8"
FLAGGED = "#b00020"
FILL = {
    "heroku_app": "#e6edf9", "heroku_addon": "#e9f5ec", "saas": "#e9f5ec", "api": "#e9f5ec", "other": "#e9f5ec",
    "shadow_addon": "#fff1dc", "vendor": "#f1ecfa", "subprocessor": "#f2f3f5",
}
HEADINGS = {
    Layer.app: "Heroku apps",
    Layer.integration: "Integrations (add-ons, SaaS, APIs)",
    Layer.vendor: "Vendors",
    Layer.subprocessor: "Sub-processors",
}
FLAG_LABELS = {
    "no_dpa": "personal data without a DPA",
    "transfer_without_mechanism": "transfer without a mechanism",
    "phi_without_baa": "PHI without a BAA",
    "cardholder_without_pci_aoc": "cardholder data without a PCI AoC",
    "shadow_addon": "shadow add-on",
}
# Characters XML 1.0 cannot carry at all (imported names are not guaranteed clean).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def esc(text: object) -> str:
    """Text safe as element content and as a double-quoted attribute value."""
    return escape(_NOT_XML.sub("\ufffd", str(text)), {'"': "&quot;"})


def clip(text: str, limit: int) -> str:
    """`text` shortened to `limit` characters, with an ellipsis when cut."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: max(limit - 1, 0)].rstrip() + "…"


@dataclass(frozen=True)
class Box:
    node: Node
    x: int
    y: int


@dataclass(frozen=True)
class Layout:
    width: int
    height: int
    columns: tuple[int, ...]  # the x of each layer's column
    boxes: dict[str, Box]


def _column_x(index: int) -> int:
    return MARGIN + index * (NODE_W + GAP)


def _stack(ordered: list[tuple[float | None, Node]], *, x: int) -> list[Box]:
    """Places nodes down a column in the given order, each at its wished-for y (the mean of its
    neighbours) or, when that would overlap the one above, just below it."""
    boxes, floor = [], TOP - ROW
    for wish, node in ordered:
        y = max(floor + ROW, round(wish) if wish is not None else floor + ROW)
        boxes.append(Box(node, x, y))
        floor = y
    return boxes


def layout(flow_map: DataFlowMap) -> Layout:
    """Columns app, integration, vendor, sub-processor. Integrations are grouped under their app (by app
    name, then by name; those without an app last) at fixed rows; apps, vendors and sub-processors are
    ordered and placed by the mean row of what they connect to, so edges run as flat as they can."""
    incoming: dict[str, list[str]] = {}
    outgoing: dict[str, list[str]] = {}
    for edge in flow_map.edges:
        incoming.setdefault(edge.target, []).append(edge.source)
        outgoing.setdefault(edge.source, []).append(edge.target)
    labels = {n.id: n.label for n in flow_map.nodes}
    boxes: dict[str, Box] = {}

    def owner(node: Node) -> tuple[int, str]:
        apps = sorted(labels[s].casefold() for s in incoming.get(node.id, ()) if s.startswith("app:"))
        return (0, apps[0]) if apps else (1, "")

    middle = sorted(flow_map.nodes_in(Layer.integration), key=lambda n: (*owner(n), n.label.casefold(), n.id))
    for box in _stack([(None, n) for n in middle], x=_column_x(1)):
        boxes[box.node.id] = box

    def mean_y(ids: list[str]) -> float | None:
        ys = [boxes[i].y for i in ids if i in boxes]
        return sum(ys) / len(ys) if ys else None

    apps = sorted(flow_map.nodes_in(Layer.app), key=lambda n: (n.label.casefold(), n.id))
    for box in _stack([(mean_y(outgoing.get(n.id, [])), n) for n in apps], x=_column_x(0)):
        boxes[box.node.id] = box
    for index, layer in ((2, Layer.vendor), (3, Layer.subprocessor)):
        wished = [(mean_y(incoming.get(n.id, [])), n) for n in flow_map.nodes_in(layer)]
        wished.sort(key=lambda w: (w[0] if w[0] is not None else float("inf"), w[1].label.casefold(), w[1].id))
        for box in _stack(wished, x=_column_x(index)):
            boxes[box.node.id] = box
    bottom = max((b.y for b in boxes.values()), default=TOP)
    return Layout(
        width=_column_x(len(LAYERS) - 1) + NODE_W + MARGIN, height=bottom + NODE_H + MARGIN + (ROW if not boxes else 0),
        columns=tuple(_column_x(i) for i in range(len(LAYERS))), boxes=boxes,
    )


def _agreement_line(a: AgreementFact) -> str:
    dates = ", ".join(part for part in (
        f"signed {a.signed_on}" if a.signed_on else "", f"effective {a.effective_on}" if a.effective_on else "",
        f"expires {a.expires_on}" if a.expires_on else "no expiry",
        f"current term ends {a.ends_on}" if a.ends_on and a.ends_on != a.expires_on else "",
    ) if part)
    mechanism = f", transfer mechanism {a.transfer_mechanism}" if a.transfer_mechanism else ""
    return f"{a.type.upper()} #{a.document_id} “{a.title}” ({dates}{mechanism}; sha256 {a.sha256[:12]}…)"


def node_title(node: Node) -> str:
    lines = [node.label]
    if node.detail:
        lines.append(node.detail)
    if node.layer is Layer.app and node.data_categories:
        lines.append(f"Holds: {', '.join(node.data_categories)}")
    if node.countries:
        lines.append(f"Countries: {', '.join(node.countries)}")
    if node.headquarters:
        lines.append(f"Headquarters: {node.headquarters}")
    if node.layer is Layer.vendor:
        lines.append(f"DPA in force: {_agreement_line(node.agreement)}" if node.agreement else "No DPA in force")
        lines.extend(f"In force: {_agreement_line(a)}" for a in node.agreements if a != node.agreement)
        lines.append(f"Transfer mechanisms on file: {', '.join(node.transfer_mechanisms) or 'none'}")
    if node.flags:
        lines.append("Flagged: " + "; ".join(FLAG_LABELS.get(f.value, f.value) for f in node.flags))
    return "\n".join(lines)


def edge_title(edge: Edge, labels: dict[str, str]) -> str:
    lines = [f"{labels.get(edge.source, edge.source)} → {labels.get(edge.target, edge.target)}",
             f"Data: {', '.join(edge.data_categories) or 'not recorded'}"]
    if edge.inherited_categories:
        lines.append(f"From the app: {', '.join(edge.inherited_categories)}")
    if not edge.target.startswith("subprocessor:"):
        lines.append(f"Filtering: {edge.filtering or 'none recorded'}")
    if edge.fields_shared:
        lines.append(f"Fields: {', '.join(edge.fields_shared)}")
    if edge.countries:
        lines.append(f"Lands in: {', '.join(edge.countries)}")
    if edge.purpose:
        lines.append(f"Purpose: {edge.purpose}")
    lines.extend(f"⚠ {flag.message}" for flag in edge.flags)
    return "\n".join(lines)


def _side(node: Node) -> tuple[str, bool]:
    """The short text at the right end of a node, and whether it is a warning."""
    countries = ", ".join(node.countries[:3]) + (f" +{len(node.countries) - 3}" if len(node.countries) > 3 else "")
    if node.layer is Layer.vendor:
        return (("DPA" if node.agreement else "no DPA") + (f" · {countries}" if countries else ""),
                node.agreement is None and bool(node.flags))
    return countries, False


def _path(a: Box, b: Box) -> str:
    x1, y1 = a.x + NODE_W, a.y + NODE_H // 2
    x2, y2 = b.x, b.y + NODE_H // 2
    mid = (x1 + x2) / 2
    return f"M{x1} {y1} C{mid:g} {y1} {mid:g} {y2} {x2} {y2}"


def render_svg(flow_map: DataFlowMap, *, title: str = "Data-flow map") -> str:
    """The map as a standalone SVG document (UTF-8 text, no XML declaration needed)."""
    plan = layout(flow_map)
    labels = {n.id: n.label for n in flow_map.nodes}
    flagged = flow_map.flagged_edges
    integrations = len(flow_map.nodes_in(Layer.integration))
    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{plan.width}" height="{plan.height}" '
        f'viewBox="0 0 {plan.width} {plan.height}" role="img" aria-labelledby="dfm-title dfm-desc" '
        f'font-family="DejaVu Sans, Verdana, system-ui, sans-serif" font-size="12">',
        f'<title id="dfm-title">{esc(title)}</title>',
        f'<desc id="dfm-desc">{esc(_summary(flow_map, integrations, len(flagged)))}</desc>',
        f'<rect x="0" y="0" width="{plan.width}" height="{plan.height}" fill="#ffffff"/>',
        f'<text x="{MARGIN}" y="28" font-size="16" font-weight="bold" fill="#1d2330">{esc(title)}</text>',
        f'<text x="{MARGIN}" y="48" fill="#5a6478">{esc(_summary(flow_map, integrations, len(flagged)))}</text>',
        f'<line x1="{MARGIN}" y1="66" x2="{MARGIN + 28}" y2="66" stroke="{NORMAL}" stroke-width="1.5"/>',
        f'<text x="{MARGIN + 36}" y="70" fill="#1d2330">data flow (hover an edge for its categories, filtering and '
        f'countries)</text>',
        f'<line x1="{MARGIN + 470}" y1="66" x2="{MARGIN + 498}" y2="66" stroke="{FLAGGED}" stroke-width="3"/>',
        f'<text x="{MARGIN + 506}" y="70" fill="{FLAGGED}">flagged: {esc(", ".join(FLAG_LABELS.values()))}</text>',
    ]
    for layer, x in zip(LAYERS, plan.columns, strict=True):
        count = len(flow_map.nodes_in(layer))
        out.append(f'<text x="{x}" y="{TOP - 14}" font-weight="bold" fill="#1d2330">'
                   f'{esc(HEADINGS[layer])} ({count})</text>')
    if not flow_map.nodes:
        out.append(f'<text x="{MARGIN}" y="{TOP + 16}" fill="#5a6478">No data flows match these filters.</text>')
    edges = sorted(flow_map.edges, key=lambda e: (e.highlight, e.id))  # flagged paths on top
    for edge in edges:
        a, b = plan.boxes.get(edge.source), plan.boxes.get(edge.target)
        if a is None or b is None:
            continue
        stroke, width, opacity = (FLAGGED, 2.5, 0.9) if edge.highlight else (NORMAL, 1.2, 0.55)
        out.append(f'<path d="{_path(a, b)}" fill="none" stroke="{stroke}" stroke-width="{width}" '
                   f'stroke-opacity="{opacity}"><title>{esc(edge_title(edge, labels))}</title></path>')
    for node_id in sorted(plan.boxes):
        box = plan.boxes[node_id]
        node = box.node
        side, warn = _side(node)
        side = clip(side, SIDE_CHARS)
        limit = LABEL_CHARS if len(side) <= 6 else LABEL_CHARS - 6
        border, border_width = (FLAGGED, 1.5) if node.flags else ("#aab2c0", 1)
        out.append(
            f'<g><title>{esc(node_title(node))}</title>'
            f'<rect x="{box.x}" y="{box.y}" width="{NODE_W}" height="{NODE_H}" rx="4" '
            f'fill="{FILL.get(node.kind, "#ffffff")}" stroke="{border}" stroke-width="{border_width}"/>'
            f'<text x="{box.x + 8}" y="{box.y + 16}" fill="#1d2330">{esc(clip(node.label, limit))}</text>'
            + (f'<text x="{box.x + NODE_W - 6}" y="{box.y + 16}" text-anchor="end" font-size="10" '
               f'fill="{FLAGGED if warn else "#5a6478"}">{esc(side)}</text>' if side else "")
            + "</g>"
        )
    out.append("</svg>")
    return "\n".join(out)


def _summary(flow_map: DataFlowMap, integrations: int, flagged: int) -> str:
    f = flow_map.filters
    narrowed = ", ".join(part for part in (
        f"app {f.app}" if f.app else "", f"data category {f.data_category}" if f.data_category else "",
        f"vendor {f.vendor_id}" if f.vendor_id is not None else "",
    ) if part)
    return (f"On {flow_map.on.isoformat()}: {integrations} integration{'' if integrations == 1 else 's'} and add-ons, "
            f"{len(flow_map.nodes_in(Layer.vendor))} vendors, {len(flow_map.nodes_in(Layer.subprocessor))} "
            f"sub-processors; {flagged} flagged flow{'' if flagged == 1 else 's'}"
            + (f" (filtered: {narrowed})" if narrowed else ""))
