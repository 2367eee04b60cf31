#!/usr/bin/env bash
# Runs the native kernel's SIMD maths on ARM64 (AdvSimd through .NET's Vector128, the 8 x 3 micro-kernel) without an
# ARM machine: builds deploy/arm64-check for linux-arm64, runs it under qemu user emulation, and checks that every path
# gives the scalar path's bits there and that its results equal this x64 machine's bit for bit.
# Needs root for apt-get the first time (qemu-user-static and the arm64 C libraries). Usage: deploy/arm64-check.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
project="$here/arm64-check"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
fail() { echo "arm64-check: $*" >&2; exit 1; }

engine_eps=$(sed -n 's/.*const double Epsilon = \(.*\);/\1/p' "$here/../Gfe.Engine/Losses/ReconstructionLoss.cs")
stub_eps=$(sed -n 's/.*const double Epsilon = \(.*\);/\1/p' "$project/Stub.cs")
[[ -n "$engine_eps" && "$engine_eps" == "$stub_eps" ]] || fail "Stub.cs's Epsilon ($stub_eps) is not the engine's ($engine_eps)"

if ! command -v qemu-aarch64-static >/dev/null || [[ ! -e /lib/ld-linux-aarch64.so.1 ]]; then
  [[ $(id -u) -eq 0 ]] || fail "qemu-user-static and the arm64 C libraries are missing; run once as root to install them"
  echo "arm64-check: installing qemu-user-static and libc6/libstdc++6 for arm64 (apt-get)..."
  dpkg --add-architecture arm64
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-user-static libc6:arm64 libstdc++6:arm64 libgcc-s1:arm64 >/dev/null
fi

echo "arm64-check: x64 (this CPU)"
dotnet build "$project" -c Release -nologo -v quiet -o "$out/x64" >/dev/null
"$out/x64/arm64-check" | tee "$out/x64.txt"
echo "arm64-check: linux-arm64 under qemu"
dotnet publish "$project" -c Release -r linux-arm64 --self-contained -nologo -v quiet -o "$out/arm64" >/dev/null
qemu-aarch64-static -L / "$out/arm64/arm64-check" | tee "$out/arm64.txt"

grep -q 'AdvSimd.Arm64 True' "$out/arm64.txt" || fail "the emulated process did not see AdvSimd"
x64=$(sed -n 's/^digest //p' "$out/x64.txt"); arm=$(sed -n 's/^digest //p' "$out/arm64.txt")
[[ -n "$x64" && "$x64" == "$arm" ]] || fail "x64 and arm64 results differ (digests $x64 and $arm)"
echo "arm64-check: every path agrees with scalar on both, and arm64 gives x64's bits (digest ${x64:0:16}...)"
