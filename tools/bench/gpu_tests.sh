#!/usr/bin/env bash
# Runs the kernel tests and the decoder's inference tests on the GPU machine's CUDA device (packed by
# tools/bench/pack_gpu.sh). Writes $OUT/tests-kernels.log and $OUT/tests-inference.log; non-zero exit when a test fails.
set -uo pipefail
source tools/bench/gpu_env.sh
export MEMORY_TEST_ACCELERATOR=cuda DOTNET_ROLL_FORWARD=Major  # the runner targets netcoreapp2.0
# The runner's directory, not the test assembly's, is AppContext.BaseDirectory: name the reference models' folder.
export MEMORY_REFERENCE_DIR=$PWD/.gpu/tests/Memory.Inference.Tests/Reference
status=0
run() {
  local project=$1 log=$2; shift 2
  (cd ".gpu/tests/$project" && timeout "${GPU_TEST_TIMEOUT:-200}" dotnet ../xunit/xunit.console.dll "$project.dll" -noColor "$@") > "$OUT/$log" 2>&1 || status=1
  grep -E "FAIL|Total:" "$OUT/$log" | tail -20
  # Only a few files come back from a device call: each failure's message and first stack lines on stdout too.
  grep -A15 "\[FAIL\]" "$OUT/$log" | head -80
}
run Memory.Kernels.Tests tests-kernels.log
# The decoder's tests; the chat-template tests never touch the accelerator.
run Memory.Inference.Tests tests-inference.log -class Memory.Inference.Tests.ReferenceMatchTests -class Memory.Inference.Tests.KvBlockAccessTests -class Memory.Inference.Tests.PagedKvCacheTransferTests \
  -class Memory.Inference.Tests.DemoModelTests -class Memory.Inference.Tests.GenerationSchedulerTests -class Memory.Inference.Tests.TensorCorePrefillTests
# The KV codec's format, device-decoder, device-encoder and codec-reuse tests (the others need PostgreSQL and Redis, which the GPU
# machine does not run; KvCodecKernelTests and KvBlockCodecTests pin the CPU accelerator's kernels to their host twins
# bit for bit, which CUDA's float arithmetic does not promise: its channel statistics differ in the last bit; the
# encoder tests compare with the host encoder on the same grid values, so they hold on CUDA).
run Memory.KvCache.Tests tests-kvcache.log -class Memory.KvCache.Tests.KvCodecGoldenTests -class Memory.KvCache.Tests.DeviceLaneDecoderTests \
  -class Memory.KvCache.Tests.DeviceLaneEncoderTests -class Memory.KvCache.Tests.DeviceCodecReuseTests
exit $status
