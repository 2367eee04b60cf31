#!/usr/bin/env bash
# Installs what `gfe bench authors` needs to run the authors' Python code on this machine, from Debian's packages:
# Python's torch, numpy and matplotlib (their solver imports it), and OpenBLAS, which Debian's torch then uses for its
# products instead of the reference BLAS (3 GFLOP/s on one core here, against about 100 with OpenBLAS).
# Their code itself is not part of this project: clone github.com/k-flouris/gfe and pass the folder as --authors-code.
# Usage: deploy/authors-parity/setup.sh   (as root, or with sudo available)
set -euo pipefail
packages=(python3-torch python3-numpy python3-matplotlib libopenblas0-pthread)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]]; then sudo=(); elif command -v sudo >/dev/null; then sudo=(sudo); else
    echo "setup.sh: installing ${missing[*]} needs root (or sudo)" >&2; exit 3
  fi
  echo "setup.sh: installing ${missing[*]} with apt-get (about 400 MB)"
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi
/usr/bin/python3 -c 'import torch, numpy, matplotlib; print("setup.sh: /usr/bin/python3 has torch", torch.__version__)'
