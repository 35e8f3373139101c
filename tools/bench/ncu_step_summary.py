"""Summarises `ncu --set detailed --csv --page raw` of one decode step (tools/bench/profile_step.sh): per kernel and
launch shape, the mean duration, DRAM throughput (% of peak and GB/s), achieved occupancy, registers, and the warp
stall reasons that take most of the issue cycles — what keeps each kernel from streaming its weights at full
bandwidth."""
import os
import re
import sys
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ncu_summary import csv_table  # noqa: E402

STALL = re.compile(r"smsp__average_warps?_(?:latency_)?issue_stalled_(\w+?)_per_issue_active\.ratio$")
FIELDS = {
    "time_us": ("gpu__time_duration.sum", 1e-3),
    "dram_pct": ("gpu__dram_throughput.avg.pct_of_peak_sustained_elapsed", 1.0),
    "dram_read_mb": ("dram__bytes_read.sum", 1e-6),
    "occupancy_pct": ("sm__warps_active.avg.pct_of_peak_sustained_active", 1.0),
    "registers": ("launch__registers_per_thread", 1.0),
    "issue_active_pct": ("sm__instruction_throughput.avg.pct_of_peak_sustained_elapsed", 1.0),
}


def number(text: str) -> float | None:
    try:
        return float(text.replace(",", ""))
    except (TypeError, ValueError):
        return None


def scaled(row: dict, metric: str, factor: float, units: dict) -> float | None:
    value = number(row.get(metric, ""))
    if value is None:
        return None
    unit = units.get(metric, "")
    # ncu picks units per run (ns/us/ms, byte/Kbyte/Mbyte): bring them back to the base unit first.
    scale = {"usecond": 1e3, "msecond": 1e6, "Kbyte": 1e3, "Mbyte": 1e6, "Gbyte": 1e9, "KB": 1e3, "MB": 1e6, "GB": 1e9}.get(unit, 1.0)
    return value * scale * factor


def main(path: str) -> None:
    reader = csv_table(path)
    rows = list(reader)
    units = rows[0] if rows and number(rows[0].get("gpu__time_duration.sum", "")) is None else {}
    rows = [r for r in rows if number(r.get("gpu__time_duration.sum", "")) is not None]
    stalls = [c for c in reader.fieldnames or [] if STALL.search(c)]
    groups = defaultdict(list)
    for r in rows:
        groups[(r.get("Kernel Name", "?")[:40], r.get("Grid Size", "?"), r.get("Block Size", "?"))].append(r)
    total = sum(scaled(r, "gpu__time_duration.sum", 1e-3, units) or 0 for r in rows)
    print(f"{len(rows)} launches, {total:.1f} us of kernel time")
    order = sorted(groups.items(), key=lambda kv: -sum(scaled(r, "gpu__time_duration.sum", 1e-3, units) or 0 for r in kv[1]))
    for (name, grid, block), members in order:
        mean = {}
        for key, (metric, factor) in FIELDS.items():
            values = [v for v in (scaled(r, metric, factor, units) for r in members) if v is not None]
            mean[key] = sum(values) / len(values) if values else float("nan")
        gbps = mean["dram_read_mb"] / mean["time_us"] * 1e3 if mean["time_us"] else float("nan")
        reasons = []
        for c in stalls:
            values = [v for v in (number(r.get(c, "")) for r in members) if v is not None]
            if values:
                reasons.append((sum(values) / len(values), STALL.search(c).group(1)))
        reasons.sort(reverse=True)
        top = ", ".join(f"{reason} {value:.1f}" for value, reason in reasons[:5])
        print(f"{len(members):3d} x {mean['time_us']:7.2f} us  {name} grid {grid} block {block}  dram {mean['dram_pct']:5.1f}% "
              f"({mean['dram_read_mb']:.2f} MB read, {gbps:.0f} GB/s)  occ {mean['occupancy_pct']:4.1f}%  regs {mean['registers']:.0f}  "
              f"issue {mean['issue_active_pct']:4.1f}%  stalls/issue: {top}")


if __name__ == "__main__":
    main(sys.argv[1])
