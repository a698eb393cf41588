"""What the benchmarks share: print a report and, if asked, write it under results/."""

from __future__ import annotations

from pathlib import Path


def emit(text: str, path: Path | None) -> None:
    print(text)
    if path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
