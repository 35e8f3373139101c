"""Summarises an `ncu --csv --page raw --metrics gpu__time_duration.sum` log: launches and total/mean time per
kernel and launch shape (grid x block), largest first; then the same for one decode step alone. A step's launches
repeat, and the run ends with a step: its length is the distance between the last two launches of the final
launch's shape, and the last four steps are averaged (prefill and warm-up left out)."""
import csv
import io
import sys
from collections import defaultdict


def main(path: str) -> None:
    text = open(path, encoding="utf-8", errors="replace").read()
    start = text.find('"ID"')
    if start < 0:
        print(text[-2000:])
        sys.exit("no CSV table in the ncu log")
    rows = list(csv.DictReader(io.StringIO(text[start:])))
    rows = [r for r in rows if r.get("gpu__time_duration.sum", "").replace(".", "", 1).replace(",", "").isdigit()]
    summarise(rows, "all launches")
    last = signature(rows[-1])
    previous = [i for i, r in enumerate(rows[:-1]) if signature(r) == last]
    if previous:
        period = len(rows) - 1 - previous[-1]
        steps = min(4, len(rows) // period)
        print()
        summarise(rows[-steps * period:], f"one decode step ({period} launches, mean of the last {steps})", steps)


def signature(r: dict) -> tuple:
    return (r.get("Kernel Name", "?")[:60], r.get("Grid Size", "?"), r.get("Block Size", "?"))


def summarise(rows: list, title: str, steps: int = 1) -> None:
    unit = "ns"
    total = defaultdict(float)
    count = defaultdict(int)
    for r in rows:
        key = signature(r)
        total[key] += float(r["gpu__time_duration.sum"].replace(",", ""))
        count[key] += 1
    grand = sum(total.values())
    print(f"{title}: {len(rows) // steps} launches, {grand / steps / 1e6:.3f} ms of kernel time ({unit} per launch below)")
    for key, t in sorted(total.items(), key=lambda kv: -kv[1])[:40]:
        name, grid, block = key
        print(f"{t / steps / 1e6:9.3f} ms {100 * t / grand:5.1f}%  {count[key] // steps:6d} x {t / count[key]:9.0f}  {name}  grid {grid} block {block}")


if __name__ == "__main__":
    main(sys.argv[1])
