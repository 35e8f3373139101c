#!/usr/bin/env bash
# Packs everything a device call needs into .gpu/ (git-ignored) within the call's 64 MiB carry limit:
#   .gpu/rt.tar.xz, .gpu/env.sh   the .NET runtime (../shared/tools/gpu-pack)
#   .gpu/bundle.tar.xz            the published CLI plus the kernel and inference test assemblies with xunit's console
#                                 runner (the GPU machine has no SDK, hence no `dotnet test`)
#   .corpus/valid.txt             held-out text for `memory bench kv` (tools/corpus/prepare.py's, from /tmp/corpus)
# Then: device call with carry [".gpu", ".corpus"] running tools/bench/gpu_tests.sh and/or tools/bench/gpu_session.sh.
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
../shared/tools/gpu-pack src/Memory.Cli/Memory.Cli.csproj
# The working tree (the demo model is most of it) plus the carry must stay under 64 MiB: drop the runtime's debugger,
# tracing and standalone-GC libraries, which nothing here loads (saves ~2.3 MB compressed). Once per packed runtime.
if [ ! -f .gpu/rt.pruned ] || [ .gpu/rt.tar.xz -nt .gpu/rt.pruned ]; then
  tmp=$(mktemp -d); tar -C "$tmp" -xJf .gpu/rt.tar.xz
  find "$tmp/rt/shared" \( -name libmscordaccore.so -o -name libmscordbi.so -o -name createdump \
    -o -name libcoreclrtraceptprovider.so -o -name libclrgcexp.so -o -name libclrgc.so \) -delete
  tar -C "$tmp" -cf - rt | xz -9 -T0 > .gpu/rt.tar.xz; rm -rf "$tmp"; touch .gpu/rt.pruned
fi
runner=~/.nuget/packages/xunit.runner.console/2.4.1/tools/netcoreapp2.0
if [ ! -f "$runner/xunit.console.dll" ]; then
  # xunit.runner.console is a tools-only package: fetch it with a throw-away project, outside central versioning.
  tmp=$(mktemp -d)
  printf '%s' '<Project Sdk="Microsoft.NET.Sdk"><PropertyGroup><TargetFramework>net10.0</TargetFramework><ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally></PropertyGroup><ItemGroup><PackageDownload Include="xunit.runner.console" Version="[2.4.1]" /></ItemGroup></Project>' > "$tmp/fetch.csproj"
  dotnet restore "$tmp/fetch.csproj" --nologo -v q; rm -rf "$tmp"
fi
rm -rf .gpu/tests; mkdir -p .gpu/tests
cp -r "$runner" .gpu/tests/xunit
for project in Memory.Kernels.Tests Memory.Inference.Tests Memory.KvCache.Tests; do
  dotnet build "tests/$project" -c Release --nologo -v q
  cp -r "tests/$project/bin/Release/net10.0" ".gpu/tests/$project"
done
# The GPU machine is linux-x64: native libraries of other platforms (SQLite's, mostly) would only eat the carry limit.
find .gpu/app .gpu/tests -type d -path '*/runtimes/*' -prune ! -name 'linux-x64' -exec rm -rf {} +
# One xz stream with a large dictionary stores the assemblies the CLI and the tests share about once.
tar -C .gpu -cf - app tests | xz -9 > .gpu/bundle.tar.xz
rm -rf .gpu/app .gpu/tests
if [ -f /tmp/corpus/valid.txt ]; then
  grep -qx '/.corpus/' .git/info/exclude || echo '/.corpus/' >> .git/info/exclude
  mkdir -p .corpus && cp /tmp/corpus/valid.txt .corpus/
fi
du -sh .gpu .corpus 2>/dev/null
