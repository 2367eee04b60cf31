#!/usr/bin/env bash
# Installs what the test suite uses beyond the .NET SDK: redis-server, for the tests of Redis clustering and storage
# (they are skipped, with the reason, where it is missing). Needs root, or sudo without a password; does nothing when already installed.
set -euo pipefail
if command -v redis-server >/dev/null 2>&1; then
  exit 0
fi
sudo=""
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; else
    echo "install-test-prerequisites: redis-server is missing and this is not root; the Redis tests will be skipped" >&2
    exit 0
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends redis-server >/dev/null
# The package starts a system redis on port 6379; the tests start their own on free ports, so stop it if it runs.
if command -v systemctl >/dev/null 2>&1; then $sudo systemctl stop redis-server >/dev/null 2>&1 || true; fi
$sudo service redis-server stop >/dev/null 2>&1 || true
echo "install-test-prerequisites: installed $(redis-server --version | cut -d' ' -f3)"
