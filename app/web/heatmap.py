"""The dashboard's residual-risk heatmap: integrations by inherent tier (rows) and status (columns), each cell
coloured by the worst residual risk among its integrations. Pure: counts in, a grid and an SVG string out.

Every text in the SVG is escaped here (it is inserted into the page unescaped), and colour never carries the
meaning alone: each cell's label says the count and the worst residual, and its <title> says it in full.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlencode
from xml.sax.saxutils import escape, quoteattr

TIERS = ("critical", "high", "medium", "low")  # rows, most exposed first
STATUSES = ("requested", "in_review", "approved", "approved_with_conditions", "rejected", "retired")
RANKS = ("low", "medium", "high", "critical")
STATUS_LABELS = {
    "requested": "Requested", "in_review": "In review", "approved": "Approved",
    "approved_with_conditions": "Approved with conditions", "rejected": "Rejected", "retired": "Retired",
}
# Short column heads for the drawing; the table and the titles use the full labels.
STATUS_SHORT = {
    "requested": "Requested", "in_review": "In review", "approved": "Approved",
    "approved_with_conditions": "With conditions", "rejected": "Rejected", "retired": "Retired",
}
# Fill and text colour for each worst residual risk; an empty cell is plain.
FILLS = {
    "low": ("#d7efdc", "#14532d"),
    "medium": ("#fbe7b5", "#5c3d00"),
    "high": ("#f4a582", "#4a1404"),
    "critical": ("#b2182b", "#ffffff"),
    None: ("#f5f6f8", "#5a6478"),
}


@dataclass(frozen=True)
class Cell:
    tier: str
    status: str
    count: int
    worst: str | None  # the worst residual risk of its integrations; None when it has none

    @property
    def href(self) -> str:
        """The integrations list filtered to this cell."""
        return "/integrations?" + urlencode({"tier": self.tier, "status": self.status})

    @property
    def title(self) -> str:
        what = f"{STATUS_LABELS[self.status]}, {self.tier} inherent tier: "
        if not self.count:
            return what + "no integrations"
        noun = "integration" if self.count == 1 else "integrations"
        return what + f"{self.count} {noun}, worst residual risk {self.worst}"


@dataclass(frozen=True)
class Heatmap:
    rows: tuple[tuple[Cell, ...], ...]  # one per tier in TIERS order, one cell per status in STATUSES order

    @property
    def total(self) -> int:
        return sum(cell.count for row in self.rows for cell in row)

    def column_total(self, status: str) -> int:
        return sum(cell.count for row in self.rows for cell in row if cell.status == status)


def build(counts: Iterable[tuple[str, str, int, int]]) -> Heatmap:
    """From (tier, status, count, worst residual rank 0–3) rows; pairs not given are empty cells, and tiers or
    statuses the grid does not know are left out (the database's CHECK constraints allow none)."""
    found = {(tier, status): (count, worst) for tier, status, count, worst in counts}
    rows = []
    for tier in TIERS:
        cells = []
        for status in STATUSES:
            count, worst = found.get((tier, status), (0, None))
            cells.append(Cell(tier, status, count, RANKS[max(0, min(worst, 3))] if count and worst is not None else None))
        rows.append(tuple(cells))
    return Heatmap(tuple(rows))


# Layout, in SVG user units (the drawing scales to its container's width).
_LABEL_W, _HEAD_H, _CELL_W, _CELL_H, _GAP = 96, 40, 118, 58, 4


def render_svg(heatmap: Heatmap, *, title_id: str = "heatmap-title", desc_id: str = "heatmap-desc") -> str:
    width = _LABEL_W + len(STATUSES) * (_CELL_W + _GAP)
    height = _HEAD_H + len(TIERS) * (_CELL_H + _GAP)
    summary = (f"{heatmap.total} integrations by inherent tier (rows: {', '.join(TIERS)}) and status (columns), "
               "each cell coloured by the worst residual risk among them. The table below gives the same figures.")
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="heatmap-svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby={quoteattr(title_id)} aria-describedby={quoteattr(desc_id)} '
        f'preserveAspectRatio="xMinYMin meet">',
        f"<title id={quoteattr(title_id)}>Residual risk heatmap</title>",
        f"<desc id={quoteattr(desc_id)}>{escape(summary)}</desc>",
    ]
    for col, status in enumerate(STATUSES):
        x = _LABEL_W + col * (_CELL_W + _GAP) + _CELL_W / 2
        parts.append(f'<text x="{x:g}" y="{_HEAD_H - 12}" text-anchor="middle" font-size="13" fill="#1d2330">'
                     f"{escape(STATUS_SHORT[status])}</text>")
    for row_index, row in enumerate(heatmap.rows):
        y = _HEAD_H + row_index * (_CELL_H + _GAP)
        parts.append(f'<text x="{_LABEL_W - 10}" y="{y + _CELL_H / 2 + 5:g}" text-anchor="end" font-size="13" '
                     f'font-weight="600" fill="#1d2330">{escape(row[0].tier.capitalize())}</text>')
        for col, cell in enumerate(row):
            x = _LABEL_W + col * (_CELL_W + _GAP)
            fill, ink = FILLS[cell.worst]
            label = str(cell.count) if cell.count else "–"
            # A cell with integrations links to them (keyboard-reachable: an SVG <a> is focusable).
            parts.append(f'<a href={quoteattr(cell.href)}>' if cell.count else "")
            parts.append(
                f'<g class="heatmap-cell"><title>{escape(cell.title)}</title>'
                f'<rect x="{x}" y="{y}" width="{_CELL_W}" height="{_CELL_H}" rx="4" fill="{fill}" stroke="#d8dce3"/>'
                f'<text x="{x + _CELL_W / 2:g}" y="{y + 26}" text-anchor="middle" font-size="18" font-weight="700" '
                f'fill="{ink}">{escape(label)}</text>'
            )
            if cell.worst is not None:
                parts.append(f'<text x="{x + _CELL_W / 2:g}" y="{y + 45}" text-anchor="middle" font-size="11" '
                             f'fill="{ink}">{escape("worst: " + cell.worst)}</text>')
            parts.append("</g></a>" if cell.count else "</g>")
    parts.append("</svg>")
    return "".join(parts)
