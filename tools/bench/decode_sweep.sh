#!/usr/bin/env bash
# Sweeps the decoder's two tuning knobs on the 0.5B bench model at batch 1 (each value one short `bench decode` run)
# and prints tokens/s per value, so that the defaults in DecoderKernels come from a measurement:
#   --gemv-slice (context 512) and --attention-split-keys (contexts 512 and 8192).
#   device call: carry [".gpu"], command: bash tools/bench/decode_sweep.sh   (writes $OUT/sweep.log)
set -uo pipefail
source tools/bench/gpu_env.sh
model=/tmp/qwen25-05b
[ -f "$model/config.json" ] || python3 tools/bench/make_bench_model.py --out "$model" > /dev/null
rate() {  # context, extra args: batch-1 tokens/s per context from the JSON report
  timeout 60 dotnet .gpu/app/Memory.Cli/memory.dll bench decode --model "$model" --contexts "$1" --batches 1 --steps 64 \
    --bandwidth-mib 64 --accelerator cuda --json "${@:2}" 2>/dev/null | tail -1 |
    python3 -c 'import json,sys; r=json.load(sys.stdin); print(" ".join("%d:%s" % (c["Context"], c["Batches"][0]["TokensPerSecond"]) for c in r["Contexts"]))'
}
for g in 256 512 1024 2048; do echo "gemv-slice $g: $(rate 512 --gemv-slice $g)"; done | tee -a "$OUT/sweep.log"
for k in 64 128 256 512; do echo "attention-split-keys $k: $(rate 512,8192 --attention-split-keys $k)"; done | tee -a "$OUT/sweep.log"
# Best of each (batch-1 tokens/s at 512 for the GEMV knob; the mean over both contexts for the split), then the whole
# decode bench with those values and the transformers peer in the same call: $OUT/decode.json, $OUT/transformers.json.
best=$(python3 - "$OUT/sweep.log" <<'PY'
import sys
g, k = {}, {}
for line in open(sys.argv[1]):
    name, _, rest = line.partition(": ")
    knob, value = name.rsplit(" ", 1)
    rates = [float(x.split(":")[1]) for x in rest.split()]
    if rates:
        (g if knob == "gemv-slice" else k)[value] = sum(rates) / len(rates)
print(max(g, key=g.get), max(k, key=k.get))
PY
)
read -r bestG bestK <<< "$best"
echo "best: --gemv-slice $bestG --attention-split-keys $bestK" | tee -a "$OUT/sweep.log"
timeout 150 python3 tools/bench/bench_transformers.py --model "$model" --out "$OUT/transformers.json" > /dev/null 2>&1
timeout 200 dotnet .gpu/app/Memory.Cli/memory.dll bench decode --model "$model" --peer "$OUT/transformers.json" --accelerator cuda \
  --gemv-slice "$bestG" --attention-split-keys "$bestK" --json 2> "$OUT/decode.log" | tail -1 > "$OUT/decode.json"
grep -E "tokens/s" "$OUT/decode.log"
