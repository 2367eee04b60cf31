#!/usr/bin/env bash
# Runs the whole test suite (unit, grain and end-to-end tests) and prints one summary line.
# Usage: ./test.sh [extra dotnet test arguments, e.g. --filter FullyQualifiedName~Engine]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
results="$root/Gfe.Tests/TestResults"
rm -rf "$results"
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"

# redis-server for the Redis cluster tests (skipped, with the reason, where it cannot be installed).
"$root/deploy/install-test-prerequisites.sh"

status=0
dotnet test "$root/gfe.sln" -c Release --nologo --logger "trx;LogFileName=gfe.trx" --results-directory "$results" "$@" || status=$?

trx="$results/gfe.trx"
if [[ -f "$trx" ]]; then
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  get() { sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p" <<<"$counters"; }
  passed=$(get passed); failed=$(get failed); total=$(get total); executed=$(get executed)
  skipped=$(( ${total:-0} - ${executed:-0} ))
  echo "tests: ${passed:-0} passed, ${failed:-0} failed, ${skipped} skipped"
  if [[ "${executed:-0}" -eq 0 ]]; then
    echo "test.sh: no test ran" >&2
    status=1
  fi
else
  echo "test.sh: no test results were written" >&2
  [[ $status -eq 0 ]] && status=1
fi
exit $status
