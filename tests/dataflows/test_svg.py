"""The server-drawn SVG: well-formed, every text escaped, readable at 250 integrations (fixed rows, names
shortened with the full text in a tooltip), flagged flows drawn red and on top."""

import xml.etree.ElementTree as ET
from datetime import date

from app.dataflows.graph import Estate, Layer, build_map
from app.dataflows.svg import FLAGGED, LABEL_CHARS, NODE_W, ROW, TOP, clip, esc, layout, render_svg
from tests.dataflows.test_graph import facts, integration, random_estate, vendor

NS = "{http://www.w3.org/2000/svg}"
ON = date(2026, 11, 29)


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{NS}svg"
    return root


def test_hostile_names_are_text_in_a_well_formed_document():
    names = ['<script>alert(1)</script>', 'A & B "quoted" \'single\'', "{{7*7}}", "]]><x/>", "ctrl\x01char",
             "<link rel=attachment href=file:///etc/passwd>"]
    estate = Estate(vendors=tuple(vendor(i + 1, name) for i, name in enumerate(names)),
                    integrations=tuple(integration(10 + i, i + 1, name=name) for i, name in enumerate(names)))
    svg = render_svg(build_map(estate, on=ON), title="Map <of> & things")

    root = parse(svg)
    assert not root.findall(f".//{NS}script") and not root.findall(f".//{NS}link")
    assert "<script" not in svg and "<link" not in svg and "<x/>" not in svg
    titles = "\n".join(t.text or "" for t in root.iter(f"{NS}title"))
    for name in names:
        assert name.replace("\x01", "\ufffd") in titles
    assert root.find(f"{NS}title").text == "Map <of> & things"  # type: ignore[union-attr]


def test_two_hundred_and_fifty_integrations_stay_readable():
    estate = random_estate(7, integrations=250)
    flow = build_map(estate, on=ON)
    plan = layout(flow)
    svg = render_svg(flow)
    root = parse(svg)

    middle = [b for b in plan.boxes.values() if b.node.layer is Layer.integration]
    assert len(middle) == 253  # 250 integrations and 3 shadow add-ons
    assert sorted(b.y for b in middle) == [TOP + i * ROW for i in range(253)]  # fixed rows, no gaps, no overlap
    assert plan.height <= TOP + 260 * ROW + 200 and plan.width == 4 * NODE_W + 3 * 150 + 2 * 24
    texts = [t.text or "" for t in root.iter(f"{NS}text")]
    assert max(len(t) for t in texts if t.startswith("<i>")) <= LABEL_CHARS
    assert any(t.endswith("…") for t in texts)
    full = {t.text for t in root.iter(f"{NS}title")}
    assert all(any((t or "").startswith(i.name) for t in full) for i in estate.integrations[:20])


def test_flagged_flows_are_red_and_drawn_over_the_others():
    estate = Estate(vendors=(vendor(1, f=facts(dpa=1), locations=("IE",)), vendor(2, locations=("IN",))),
                    integrations=(integration(10, 1, countries=("IE",)), integration(11, 2, countries=("IN",)),
                                  integration(12, 1, countries=("DE",))))
    root = parse(render_svg(build_map(estate, on=ON)))
    strokes = [p.get("stroke") for p in root.iter(f"{NS}path")]

    assert strokes.count(FLAGGED) == 1
    assert strokes[-1] == FLAGGED  # last drawn, so nothing hides it
    flagged = [p for p in root.iter(f"{NS}path") if p.get("stroke") == FLAGGED][0]
    tooltip = flagged.find(f"{NS}title").text  # type: ignore[union-attr]
    assert "IN" in tooltip and "Filtering: none recorded" in tooltip and "⚠" in tooltip  # type: ignore[operator]


def test_an_empty_map_says_so():
    root = parse(render_svg(build_map(Estate(), on=ON)))
    assert any("No data flows match" in (t.text or "") for t in root.iter(f"{NS}text"))


def test_clip_and_escape():
    assert clip("short", 10) == "short"
    assert clip("a" * 12, 10) == "a" * 9 + "…"
    assert clip("spaced   out\nname", 40) == "spaced out name"
    assert esc('<a href="x">&</a>') == "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;"
    assert esc("nul\x00") == "nul\ufffd"
