"""Small helpers shared by the benchmarks: result tables and the machine they ran on."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TextIO


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]], out: TextIO = sys.stdout) -> None:
    """Columns left-aligned, numbers right-aligned, two spaces apart."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    numeric = [all(_is_number(row[i]) for row in rows) for i in range(len(headers))]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    for row in cells:
        parts = [c.rjust(w) if num else c.ljust(w) for c, w, num in zip(row, widths, numeric)]
        print("  ".join(parts).rstrip(), file=out)


def _is_number(value: object) -> bool:
    if isinstance(value, (int, float)):
        return True
    text = str(value).replace(",", "").replace("%", "").strip()
    try:
        float(text)
    except ValueError:
        return text in ("-", "")
    return True


def machine() -> str:
    """CPUs and load average: the numbers mean little without them on a shared machine."""
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"{os.cpu_count()} CPUs, load average {load}"
