#!/usr/bin/env bash
# The GPU figures the issues ask for, by part, each part inside one device call's 10 minutes:
#   here:        bash tools/bench/pack_gpu.sh
#   device call: carry [".gpu", ".corpus"], command: bash tools/bench/gpu_session.sh decode   (or: kv, or: decode kv)
# decode: $OUT/transformers.json (peer) and decode.json; kv: kv.json (codec, disk tier, TTFT at 2K on the demo model) and
# kv-ttft-16k.json (TTFT at 16K on the 0.5B model, random tokens); gemm: gemm.json (the 0.5B model's four layer products
# at a 512-token chunk on the tensor cores against the FP32 tiled GEMM, and their agreement; fails when they disagree);
# prefill-ab: prefill-{tc,fp32,simt-attention,chunk-1024,chunk-2048}.json (bench decode at 512 and 8K, batch 1 only: the
# defaults, tensor cores off, the SIMT prefill attention, 1024- and 2048-token chunks);
# few-token-ab: few-token-{0,4,8}.json (bench decode at batches 1, 8, 32 with the few-token product off, tile 4, tile 8);
# attention-ab: attention-{true,false}-{32,64,128,256}.json (the shared-KV decode attention on / off by split length);
# lookup-ab: lookup-{8,16,32,64}.json (TTFT of a 16K prefix from disk, balanced, by codec batch of the lower-tier read).
# session.log holds nvidia-smi, versions and timings.
set -uo pipefail
exec > >(tee -a "$OUT/session.log") 2>&1
source tools/bench/gpu_env.sh
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm,clocks.max.mem --format=csv
python3 -c 'import torch, transformers; print("torch", torch.__version__, "transformers", transformers.__version__)'
model=/tmp/qwen25-05b
[ -f "$model/config.json" ] || time python3 tools/bench/make_bench_model.py --out "$model"
for part in "$@"; do
  case $part in
    decode)
      [ -s "$OUT/transformers.json" ] || [ -n "${DECODE_ARGS:-}" ] || time timeout 150 python3 tools/bench/bench_transformers.py --model "$model" --out "$OUT/transformers.json"
      peer=(); [ -s "$OUT/transformers.json" ] && peer=(--peer "$OUT/transformers.json")
      time timeout 200 dotnet .gpu/app/Memory.Cli/memory.dll bench decode --model "$model" "${peer[@]}" --accelerator cuda ${DECODE_ARGS:-} --json | tee "$OUT/decode.log" | tail -1 > "$OUT/decode.json" ;;
    kv)
      time timeout 170 dotnet .gpu/app/Memory.Cli/memory.dll bench kv --model models/demo --text .corpus/valid.txt --windows 8 \
        --window 2048 --ttft-context 2047 --drop-page-cache --accelerator cuda --json | tee "$OUT/kv.log" | tail -1 > "$OUT/kv.json"
      # Time to first token at 16K needs a model with that many positions: the 0.5B model, random tokens.
      time timeout 90 dotnet .gpu/app/Memory.Cli/memory.dll bench kv --model "$model" --ttft-context 16384 --windows 0 \
        --drop-page-cache --accelerator cuda --json | tee "$OUT/kv-ttft-16k.log" | tail -1 > "$OUT/kv-ttft-16k.json" ;;
    gemm)
      time timeout 120 dotnet .gpu/app/Memory.Cli/memory.dll bench gemm --accelerator cuda --json | tee "$OUT/gemm.log" | tail -1 > "$OUT/gemm.json" ;;
    prefill-ab)
      # name:arguments. tc: the defaults (GEMM and attention on the tensor cores, 512-token chunks).
      for variant in "tc:" "fp32:--tensor-cores false" "simt-attention:--tensor-core-attention false" "chunk-1024:--prefill-chunk 1024" "chunk-2048:--prefill-chunk 2048"; do
        name=${variant%%:*}
        time timeout 150 dotnet .gpu/app/Memory.Cli/memory.dll bench decode --model "$model" --contexts 512,8192 --batches 1 --steps 16 \
          ${variant#*:} --accelerator cuda --json | tail -1 > "$OUT/prefill-$name.json"
      done ;;
    few-token-ab)
      # Batches of 2-32 on the few-token product (tile 4, tile 8) against one GEMV pass per token (0).
      for tile in 0 4 8; do
        time timeout 120 dotnet .gpu/app/Memory.Cli/memory.dll bench decode --model "$model" --contexts 512,8192 --batches 1,8,32 --steps 32 \
          --few-token-tile "$tile" --bandwidth-mib 256 --accelerator cuda --json | tee "$OUT/few-token-$tile.log" | tail -1 > "$OUT/few-token-$tile.json"
      done ;;
    attention-ab)
      # The decode attention: one group per kv head (DecodeAttentionKernel) against one per query head, each over a
      # sweep of split lengths (keys per group), batches 1 and 8.
      for shared in true false; do
        for split in 32 64 128 256; do
          time timeout 100 dotnet .gpu/app/Memory.Cli/memory.dll bench decode --model "$model" --contexts 512,8192 --batches 1,8 --steps 32 \
            --shared-kv-attention "$shared" --attention-split-keys "$split" --bandwidth-mib 256 --accelerator cuda --json | tail -1 > "$OUT/attention-$shared-$split.json"
        done
      done ;;
    lookup-ab)
      # A 16K prefix read back from disk (balanced) with the run decoded in codec batches of 16 (the default), 64, 8 and 32
      # blocks (64: the whole 63-block run in one batch once it is all read, as before batches decoded behind reads).
      for batch in 16 64 8 32; do
        time timeout 90 dotnet .gpu/app/Memory.Cli/memory.dll bench kv --model "$model" --ttft-context 16384 --windows 0 --disk-levels balanced \
          --lower-tier-batch "$batch" --drop-page-cache --accelerator cuda --json | tee "$OUT/lookup-$batch.log" | tail -1 > "$OUT/lookup-$batch.json"
      done ;;
    *) echo "unknown part $part (decode | kv | gemm | prefill-ab | few-token-ab | attention-ab | lookup-ab)"; exit 2 ;;
  esac
done
