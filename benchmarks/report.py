"""Plain-text lines for benchmark figures: medians, p95 and ratios against their targets."""

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

MISSED = "MISSED"


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile of `values` (pct in 0..100); the max for 100."""
    ordered = sorted(values)
    rank = max(1, round(pct / 100 * len(ordered) + 0.4999999))
    return ordered[min(rank, len(ordered)) - 1]


@dataclass(frozen=True)
class Latency:
    """Wall-clock samples against a target; optionally the in-app time or the CPU time beside them."""

    label: str
    samples_ms: tuple[float, ...]
    in_app_ms: tuple[float, ...]
    target_ms: float
    note: str = ""
    cpu_ms: tuple[float, ...] = ()
    decimals: int = 1  # 3 for figures around a millisecond

    @property
    def median(self) -> float:
        return statistics.median(self.samples_ms)

    @property
    def p95(self) -> float:
        return percentile(self.samples_ms, 95)

    @property
    def ok(self) -> bool:
        return self.median <= self.target_ms

    def line(self, width: int) -> str:
        d, w = self.decimals, 5 + self.decimals
        in_app = f"  in-app {statistics.median(self.in_app_ms):{w}.{d}f} ms" if self.in_app_ms else ""
        cpu = f"  cpu {statistics.median(self.cpu_ms):{w}.{d}f} ms" if self.cpu_ms else ""
        verdict = "ok" if self.ok else MISSED
        note = f"  [{self.note}]" if self.note else ""
        return (
            f"{self.label:<{width}}  median {self.median:{w}.{d}f} ms  p95 {self.p95:{w}.{d}f} ms{in_app}{cpu}"
            f"  (target <= {self.target_ms:g} ms)  {verdict}{note}"
        )


def ratio_line(label: str, ratio: float, target: float, width: int) -> str:
    verdict = "ok" if ratio >= target else MISSED
    return f"{label:<{width}}  ratio {ratio:5.2f}  (target >= {target:g})  {verdict}"
