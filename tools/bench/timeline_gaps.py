"""Reads Nsight Systems' cuda_gpu_trace (and cuda_api_sum) CSV exports of a decode run: over the last launches (the
decode steps; the run ends with them), kernel time ÷ elapsed time and the distribution of gaps between kernels, and
which driver calls the host spent its time in."""
import csv
import sys

LAST = 2000  # kernels: about a dozen batch-1 decode steps of the 0.5B model


def main(trace_path: str, api_path: str | None) -> None:
    rows = list(csv.DictReader(open(trace_path, encoding="utf-8")))
    kernels = [r for r in rows if r.get("Name") and not r["Name"].startswith("[CUDA")]
    start_key = next(k for k in kernels[0] if k.startswith("Start"))
    duration_key = next(k for k in kernels[0] if k.startswith("Duration"))
    tail = kernels[-LAST:]
    spans = [(float(r[start_key]), float(r[duration_key])) for r in tail]
    busy = sum(d for _, d in spans)
    elapsed = spans[-1][0] + spans[-1][1] - spans[0][0]
    gaps = sorted(max(0.0, spans[i + 1][0] - (spans[i][0] + spans[i][1])) for i in range(len(spans) - 1))
    print(f"last {len(spans)} kernels: {busy / 1e6:.3f} ms of kernel time in {elapsed / 1e6:.3f} ms elapsed = {100 * busy / elapsed:.1f}% busy")
    print(f"gaps between kernels (us): p10 {gaps[len(gaps) // 10] / 1e3:.2f}, p50 {gaps[len(gaps) // 2] / 1e3:.2f}, p90 {gaps[9 * len(gaps) // 10] / 1e3:.2f}, sum {sum(gaps) / 1e6:.3f} ms")
    if api_path:
        api = list(csv.DictReader(open(api_path, encoding="utf-8")))
        for r in api[:12]:
            print("  " + ", ".join(f"{k}={v}" for k, v in r.items() if k in ("Time (%)", "Total Time (ns)", "Num Calls", "Avg (ns)", "Name")))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None)
