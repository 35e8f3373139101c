# Sourced on the GPU machine: the .NET runtime on PATH (gpu-pack's env.sh) and pack_gpu.sh's bundle unpacked once.
source .gpu/env.sh
[ -d .gpu/app/Memory.Cli ] || tar -C .gpu -xJf .gpu/bundle.tar.xz
