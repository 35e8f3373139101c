"""Summarises an `ncu --csv --page raw --metrics gpu__time_duration.sum` log: launches and total/mean time per
kernel and launch shape (grid x block), largest first; then the same for one decode step alone. A step's launches
repeat and the run ends with steps: a step is the shortest period of the last launches' shapes, and the last four
steps are averaged (prefill and warm-up left out)."""
import csv
import io
import sys
from collections import defaultdict


def csv_table(path: str) -> csv.DictReader:
    """The CSV table of an ncu log (what precedes its header line is ncu's own output); exits if there is none."""
    text = open(path, encoding="utf-8", errors="replace").read()
    start = text.find('"ID"')
    if start < 0:
        print(text[-2000:])
        sys.exit("no CSV table in the ncu log")
    return csv.DictReader(io.StringIO(text[start:]))


def main(path: str) -> None:
    rows = list(csv_table(path))
    rows = [r for r in rows if r.get("gpu__time_duration.sum", "").replace(".", "", 1).replace(",", "").isdigit()]
    summarise(rows, "all launches")
    period = step_length([signature(r) for r in rows])
    if period:
        steps = min(4, len(rows) // period)
        print()
        summarise(rows[-steps * period:], f"one decode step ({period} launches, mean of the last {steps})", steps)


def step_length(shapes: list) -> int | None:
    """The shortest period with which the run's last launches repeat (over at least three periods): a decode step."""
    n = len(shapes)
    for p in range(2, n // 3 + 1):
        if all(shapes[n - 1 - i] == shapes[n - 1 - i - p] for i in range(2 * p)):
            return p
    return None


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
