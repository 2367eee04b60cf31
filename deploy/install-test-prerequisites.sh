#!/usr/bin/env bash
# Installs what the test suite uses beyond the .NET SDK: redis-server, for the tests of Redis clustering and storage
# (they are skipped, with the reason, where it is missing), the DejaVu fonts that the figures' text is drawn with, and
# Chromium, which renders report.html headless in its test (skipped where it is missing).
# Needs root, or sudo without a password; does nothing when everything is already installed.
set -euo pipefail
packages=()
command -v redis-server >/dev/null 2>&1 || packages+=(redis-server)
[[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]] || packages+=(fonts-dejavu-core)
command -v chromium >/dev/null 2>&1 || packages+=(chromium)
if [[ ${#packages[@]} -eq 0 ]]; then
  exit 0
fi
sudo=""
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; else
    echo "install-test-prerequisites: ${packages[*]} missing and this is not root; the Redis tests will be skipped and figure text may be missing" >&2
    exit 0
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
if [[ " ${packages[*]} " == *" redis-server "* ]]; then
  # The package starts a system redis on port 6379; the tests start their own on free ports, so stop it if it runs.
  if command -v systemctl >/dev/null 2>&1; then $sudo systemctl stop redis-server >/dev/null 2>&1 || true; fi
  $sudo service redis-server stop >/dev/null 2>&1 || true
fi
echo "install-test-prerequisites: installed ${packages[*]}"
