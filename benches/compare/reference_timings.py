#!/usr/bin/env python3
"""Time the reference implementations (scipy, R) on the sizes of `benches/stats.rs`.

Usage: python3 benches/compare/reference_timings.py [rank] [bootstrap]

Each area lives in `timings_<area>.py` beside this file and exposes `main()`, which prints one
line per benchmark id: `<criterion id>\t<reference>\t<seconds>`. Run it right after
`cargo bench --bench stats` on the same machine so the ratios compare like with like.
"""
import importlib
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

AREAS = ["rank", "bootstrap"]


def main() -> None:
    areas = sys.argv[1:] or AREAS
    for area in areas:
        if area not in AREAS:
            sys.exit(f"unknown area {area!r}; choose from {AREAS}")
        importlib.import_module(f"timings_{area}").main()


if __name__ == "__main__":
    main()
