#!/usr/bin/env bash
# The container deployment, run for real on one Debian machine: builds the silo and Redis images, starts the compose
# cluster of deploy/docker/compose.loopback.yml (Redis and two silos on host networking, every listener on
# 127.0.0.1), runs a sweep of simulated runs against it from this host with ./gfe, kills one silo container with
# SIGKILL mid-sweep, and checks that the sweep still completes with every run completed exactly once.
# Takes a few minutes (the first time also a debootstrap and a dotnet publish); not part of CI.
#
# Usage (as root: it installs Debian packages, runs debootstrap and rootful podman):
#   deploy/container-test.sh [--runs 24] [--seconds 3] [--base IMAGE] [--dir DIR] [--keep] [--no-kill]
#                            [--from-source [--sdk IMAGE]]
#                            [--redis-port 6380] [--silo-port 11121] [--gateway-port 30021]
#   deploy/container-test.sh down [--dir DIR]        (after --keep: stop and remove the cluster and its volumes)
# --no-kill: the same sweep without killing a silo (the baseline for the figures).
# --from-source: build the silo image with deploy/docker/Dockerfile (the SDK build stage) instead of around a host
#   publish; its SDK image is --sdk IMAGE (e.g. mcr.microsoft.com/dotnet/sdk:10.0 where a registry is reachable), else
#   a stand-in that runs this host's SDK (Dockerfile.sdk-standin). About 3 more minutes.
# --base: the image the silo and Redis images build on. Default: a Debian 12 base made here with debootstrap
#   (localhost/debian-local:bookworm), for hosts that cannot pull images; with a registry, e.g. debian:bookworm-slim.
# Engine: podman, with runc, cgroupfs and lowered ulimits from a containers.conf of this run folder (passed through
# $CONTAINERS_CONF; a CONTAINERS_CONF you set is used instead). Compose: Debian's docker-compose, talking to a podman
# API socket this script starts in the run folder. A Redis password is made up (kept in DIR/redis-password, mode 600)
# unless $GFE_RedisPassword is set. Figures go to DIR/figures.txt, logs to DIR.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
compose_file="$root/deploy/docker/compose.loopback.yml"
project=gfe-ctest

command=test
if [[ "${1:-}" == down ]]; then command=down; shift; fi
runs=24
seconds=3
base=""
dir="$root/run/container-test"
keep=0
kill_silo=1
from_source=0
sdk=""
redis_port=6380
silo_port=11121
gateway_port=30021
local_base=localhost/debian-local:bookworm

usage() { sed -n '2,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit "${1:-2}"; }
fail() { echo "container-test: $*" >&2; exit 1; }
say() { echo "container-test: $*" >&2; }
number() { [[ "$2" =~ ^[0-9]+$ && "$2" -ge 1 ]] || { echo "container-test: $1 must be a whole number of at least 1, not '$2'" >&2; exit 2; }; echo "$2"; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --keep) keep=1; shift; continue ;;
    --no-kill) kill_silo=0; shift; continue ;;
    --from-source) from_source=1; shift; continue ;;
    -h|--help) usage 0 ;;
  esac
  [[ $# -ge 2 ]] || usage
  case "$1" in
    --runs) runs=$(number "$1" "$2") ;;
    --seconds) seconds=$(number "$1" "$2") ;;
    --base) base="$2" ;;
    --sdk) sdk="$2" ;;
    --dir) dir="$2" ;;
    --redis-port) redis_port=$(number "$1" "$2") ;;
    --silo-port) silo_port=$(number "$1" "$2") ;;
    --gateway-port) gateway_port=$(number "$1" "$2") ;;
    *) usage ;;
  esac
  shift 2
done
[[ $runs -ge 4 ]] || { echo "container-test: --runs must be at least 4 (silo 2 must finish one and be killed in the next)" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || fail "run as root (apt-get, debootstrap and podman with host networking)"
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
sock="$dir/podman.sock"
figures="$dir/figures.txt"

# Timing: each step's wall time in seconds (one decimal), printed and kept in figures.txt.
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
figure() { echo "$1: $2" | tee -a "$figures" >&2; }

install_missing() {
  local missing=()
  command -v podman >/dev/null || missing+=(podman)
  command -v runc >/dev/null || missing+=(runc)
  command -v docker-compose >/dev/null || missing+=(docker-compose)
  command -v python3 >/dev/null || missing+=(python3)
  [[ -n "$base" ]] || command -v debootstrap >/dev/null || missing+=(debootstrap)
  [[ ${#missing[@]} -eq 0 ]] && return
  say "installing ${missing[*]} (apt-get)..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >"$dir/apt.log" 2>&1 \
    || fail "apt-get install ${missing[*]} failed; see $dir/apt.log"
}

podman_conf() {
  if [[ -n "${CONTAINERS_CONF:-}" ]]; then
    say "using CONTAINERS_CONF=$CONTAINERS_CONF as set"
    return
  fi
  # runc and cgroupfs work on hybrid cgroup hosts where crun and systemd do not; the ulimits stay below the
  # defaults podman would copy from a root shell, which a container without CAP_SYS_RESOURCE cannot raise.
  cat >"$dir/containers.conf" <<'EOF'
[containers]
default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
EOF
  export CONTAINERS_CONF="$dir/containers.conf"
}

# The podman API socket for docker-compose. (Debian 12's podman-compose 1.0.3 cannot be used: it adds a bridge
# network to every container even under network_mode: host.)
start_api() {
  stop_api
  rm -f "$sock"
  nohup podman system service --time=0 "unix://$sock" >"$dir/podman-service.log" 2>&1 &
  echo $! >"$dir/podman-service.pid"
  for _ in $(seq 100); do [[ -S "$sock" ]] && break; sleep 0.1; done
  [[ -S "$sock" ]] || fail "podman system service did not open $sock; see $dir/podman-service.log"
  export DOCKER_HOST="unix://$sock"
}

stop_api() {
  local pid_file="$dir/podman-service.pid"
  [[ -f "$pid_file" ]] || return 0
  local pid
  pid=$(cat "$pid_file")
  if kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; fi
  rm -f "$pid_file"
}

compose() {
  GFE_REDIS_PORT=$redis_port GFE_SILO_PORT_1=$silo_port GFE_SILO_PORT_2=$((silo_port + 1)) \
  GFE_GATEWAY_PORT_1=$gateway_port GFE_GATEWAY_PORT_2=$((gateway_port + 1)) GFE_SLOTS=2 GFE_CHECKPOINT_EVERY=2 \
  GFE_SILO_IMAGE=localhost/gfe-silo:ctest GFE_REDIS_IMAGE=localhost/gfe-redis:ctest \
    docker-compose -f "$compose_file" -p "$project" "$@"
}

container_of() { compose ps -q "$1" 2>/dev/null | head -n 1; }

down() {
  podman_conf
  start_api
  say "stopping the cluster and removing its volumes..."
  compose down -v -t 30 >>"$dir/compose.log" 2>&1 || say "compose down failed; see $dir/compose.log"
  stop_api
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

base_image() {
  if [[ -n "$base" ]]; then echo "$base"; return; fi
  if ! podman image exists "$local_base"; then
    say "making a Debian 12 base image with debootstrap (a few minutes, once)..."
    local t rootfs="$dir/rootfs"
    t=$(now)
    rm -rf "$rootfs"
    nice -n 10 debootstrap --variant=minbase bookworm "$rootfs" http://deb.debian.org/debian >"$dir/debootstrap.log" 2>&1 \
      || fail "debootstrap failed; see $dir/debootstrap.log"
    tar -C "$rootfs" -c . | podman import - "$local_base" >>"$dir/debootstrap.log" 2>&1 \
      || fail "podman import of the debootstrap tree failed; see $dir/debootstrap.log"
    rm -rf "$rootfs"
    figure "base image (debootstrap + import)" "$(elapsed "$t") s"
  fi
  echo "$local_base"
}

publish() {
  local out="$dir/publish" newer=""
  if [[ -x "$out/gfe-silo" ]]; then
    newer=$(find "$root" -path "$root/.git" -prune -o \( -name bin -o -name obj -o -name results -o -name run \) -prune -o \
      -type f \( -name '*.cs' -o -name '*.csproj' -o -name '*.props' -o -name '*.targets' -o -name '*.json' \) \
      -newer "$out/gfe-silo" -print -quit)
  fi
  if [[ ! -x "$out/gfe-silo" || -n "$newer" ]]; then
    say "publishing gfe-silo (self-contained, linux-x64)..."
    local t
    t=$(now)
    OMP_NUM_THREADS=1 nice -n 10 dotnet publish "$root/Gfe.Silo/Gfe.Silo.csproj" -c Release -r linux-x64 --self-contained \
      -o "$out" -nologo -v quiet >"$dir/publish.log" 2>&1 || fail "dotnet publish failed; see $dir/publish.log"
    touch "$out/gfe-silo"
    figure "dotnet publish" "$(elapsed "$t") s"
  fi
}

# Debian 12's libstdc++ lacks GLIBCXX_3.4.32; the image must carry the weakened copy of libLibTorchSharp.so
# (Directory.Build.targets, docs/platform-notes.md). Checked on the file taken out of the image.
check_glibcxx_fix() {
  command -v readelf >/dev/null || { say "readelf missing (binutils): GLIBCXX fix not checked"; return; }
  local cid copy="$dir/libLibTorchSharp.from-image.so"
  cid=$(podman create localhost/gfe-silo:ctest)
  if ! podman cp "$cid:/app/libLibTorchSharp.so" "$copy"; then
    podman rm -v "$cid" >/dev/null
    fail "the image has no /app/libLibTorchSharp.so"
  fi
  podman rm -v "$cid" >/dev/null
  grep -q 'GLIBCXX_3.4.32 *Flags: WEAK' <<<"$(readelf -V "$copy")" \
    || fail "libLibTorchSharp.so in the image still needs GLIBCXX_3.4.32 (Directory.Build.targets did not patch it)"
  rm -f "$copy"
}

# deploy/docker/Dockerfile as a user with a registry would build it. Without --sdk, its SDK stage runs in a stand-in:
# the base image running this host's SDK, mounted read-only with the host's NuGet cache (nothing is downloaded).
build_from_source() {
  local from=$1 mounts=() sdk_image=$sdk
  if [[ -z "$sdk_image" ]]; then
    local dotnet_root packages
    dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
    packages=$(dotnet nuget locals global-packages --list | sed 's/^global-packages: *//')
    [[ -d "$packages" ]] || fail "the NuGet cache '$packages' is missing; build once with dotnet first"
    nice -n 10 podman build --network host -f "$root/deploy/docker/Dockerfile.sdk-standin" --build-arg "BASE_IMAGE=$from" \
      -t localhost/gfe-sdk-standin:ctest "$root/deploy/docker" >"$dir/build-sdk-standin.log" 2>&1 \
      || fail "the stand-in SDK image did not build; see $dir/build-sdk-standin.log"
    sdk_image=localhost/gfe-sdk-standin:ctest
    mounts=(-v "$dotnet_root:/usr/share/dotnet:ro" -v "$packages:/nuget-cache:ro")
  fi
  OMP_NUM_THREADS=1 nice -n 10 podman build --network host "${mounts[@]}" -f "$root/deploy/docker/Dockerfile" \
    --build-arg "SDK_IMAGE=$sdk_image" --build-arg "BASE_IMAGE=$from" -t localhost/gfe-silo:ctest "$root" \
    >"$dir/build-silo.log" 2>&1 || fail "silo image build (Dockerfile) failed; see $dir/build-silo.log"
}

build_images() {
  local from t
  from=$(base_image)
  t=$(now)
  if [[ $from_source -eq 1 ]]; then
    build_from_source "$from"
    figure "silo image build (podman build, Dockerfile with its SDK stage on ${sdk:-a stand-in for the SDK image}, runtime on $from)" "$(elapsed "$t") s"
  else
    nice -n 10 podman build --network host -f "$root/deploy/docker/Dockerfile.prebuilt" --build-arg "BASE_IMAGE=$from" \
      -t localhost/gfe-silo:ctest "$dir/publish" >"$dir/build-silo.log" 2>&1 || fail "silo image build failed; see $dir/build-silo.log"
    figure "silo image build (podman build, Dockerfile.prebuilt on $from)" "$(elapsed "$t") s"
  fi
  t=$(now)
  nice -n 10 podman build --network host -f "$root/deploy/docker/Dockerfile.redis" --build-arg "BASE_IMAGE=$from" \
    -t localhost/gfe-redis:ctest "$root/deploy/docker" >"$dir/build-redis.log" 2>&1 || fail "redis image build failed; see $dir/build-redis.log"
  figure "redis image build (Dockerfile.redis)" "$(elapsed "$t") s"
  check_glibcxx_fix
  figure "silo image size" "$(podman image inspect localhost/gfe-silo:ctest --format '{{.Size}}' | awk '{ printf "%.0f MB", $1 / 1e6 }')"
}

# Container ids, looked up once after compose up (docker-compose is slow to start; the kill loop polls often).
declare -A ids=()
silo_log() { podman logs "${ids[silo-$1]}" 2>&1; }

start_cluster() {
  for port in "$redis_port" "$silo_port" $((silo_port + 1)) "$gateway_port" $((gateway_port + 1)); do
    port_busy "$port" && fail "port 127.0.0.1:$port is in use; choose others with --redis-port / --silo-port / --gateway-port"
  done
  compose down -v -t 5 >>"$dir/compose.log" 2>&1 || true
  local t
  t=$(now)
  compose up -d redis >>"$dir/compose.log" 2>&1 || fail "compose up redis failed; see $dir/compose.log"
  for _ in $(seq 100); do port_busy "$redis_port" && break; sleep 0.1; done
  port_busy "$redis_port" || fail "redis did not listen on 127.0.0.1:$redis_port; see: podman logs $(container_of redis)"
  compose up -d >>"$dir/compose.log" 2>&1 || fail "compose up failed; see $dir/compose.log"
  for service in redis silo-1 silo-2; do
    ids[$service]=$(container_of "$service")
    [[ -n "${ids[$service]}" ]] || fail "compose started no $service container; see $dir/compose.log"
  done
  for i in 1 2; do
    for _ in $(seq 1200); do
      grep -q "GFE silo ready" <<<"$(silo_log "$i")" && break
      sleep 0.1
    done
    grep -q "GFE silo ready" <<<"$(silo_log "$i")" || fail "silo $i was not ready within 120 s; see: podman logs ${ids[silo-$i]}"
    # The silo reports "cpu" only when libtorch (and the patched libLibTorchSharp) loaded inside the container.
    grep -q "GFE silo starting:.*), cpu, " <<<"$(silo_log "$i")" \
      || fail "silo $i did not load libtorch in the container: $(silo_log "$i" | grep -m1 'GFE silo starting')"
  done
  figure "cluster start (compose up to both silos ready)" "$(elapsed "$t") s"
}

write_sweep() {
  local seeds
  seeds=$(seq -s ', ' 0 $((runs - 1)))
  cat >"$dir/sweep.yaml" <<EOF
name: container-test
description: simulated runs for deploy/container-test.sh ($runs runs of $seconds s)
grid:
  method: [simulate]
  dataset: [mnist]
  seed: [$seeds]
settings:
  simulateSeconds: $seconds
EOF
}

# Kill silo 2 while it trains a run, after it has finished a sixth of the sweep's runs (at least one): its finished
# runs must not train again and its interrupted runs must finish on silo 1.
kill_silo_mid_sweep() {
  local client=$1 deadline=$((SECONDS + 300)) log need=$(( runs / 6 > 0 ? runs / 6 : 1 ))
  while (( SECONDS < deadline )); do
    kill -0 "$client" 2>/dev/null || fail "the sweep ended before silo 2 had finished $need run(s); see $dir/sweep.log"
    log=$(silo_log 2)
    # A run started once silo 2 had finished enough is in flight now; let it get a checkpoint (every 2 of 10 ticks).
    if awk -v need="$need" '/completed in/ { done++ } /started on/ && done >= need { found = 1 } END { exit !found }' <<<"$log"; then
      sleep "$(awk -v s="$seconds" 'BEGIN { print s / 2 }')"
      # Mid-sweep is also the time to check that no process shows the password on its command line.
      # (Matched in bash: a grep would carry the password on its own command line.)
      [[ "$(ps -eo args)" != *"$GFE_RedisPassword"* ]] || fail "the Redis password shows in ps"
      podman kill --signal KILL "${ids[silo-2]}" >/dev/null
      kill_time=$(now)
      say "killed silo 2 (SIGKILL) mid-sweep, after it had finished $need run(s)"
      return
    fi
    sleep 0.2
  done
  fail "silo 2 did not finish $need run(s) and start another within 300 s"
}

check_results() {
  silo_log 1 >"$dir/silo-1.console.log"
  silo_log 2 >"$dir/silo-2.console.log"
  podman logs "${ids[redis]}" >"$dir/redis.console.log" 2>&1
  python3 - "$dir" "$runs" <<'EOF'
import csv, os, re, sys, pathlib
folder, runs, password = pathlib.Path(sys.argv[1]), int(sys.argv[2]), os.environ["GFE_RedisPassword"]
problems = []
rows = list(csv.DictReader(open(folder / "results/container-test/runs.csv", newline="")))
states = [r["state"] for r in rows]
if len(rows) != runs or any(s != "completed" for s in states):
    problems.append(f"runs.csv: {states.count('completed')}/{len(rows)} completed, {runs} expected")
completed, started = {}, {}
for silo in (1, 2):
    for line in open(folder / f"silo-{silo}.console.log", errors="replace"):
        m = re.search(r"Run (\S+) completed in", line)
        if m: completed.setdefault(m[1], []).append(silo)
        m = re.search(r"Run (\S+) started on", line)
        if m: started.setdefault(m[1], []).append((silo, "resuming from its checkpoint" in line))
keys = {r["key"] for r in rows}
twice = {k: v for k, v in completed.items() if len(v) != 1}
missing = keys - completed.keys()
if twice: problems.append(f"completed more than once: {twice}")
if missing: problems.append(f"never completed in a silo log: {sorted(missing)}")
done_on_2 = {k for k, v in completed.items() if v == [2]}
redone = [k for k in done_on_2 if any(s == 1 for s, _ in started.get(k, []))]
if redone: problems.append(f"finished on silo 2 and started again on silo 1: {redone}")
moved = sorted(k for k, v in completed.items() if v == [1] and any(s == 2 for s, _ in started.get(k, [])))
resumed = sorted(k for k in moved if any(s == 1 and r for s, r in started.get(k, [])))
for name in ("silo-1.console.log", "silo-2.console.log", "redis.console.log", "compose.log", "sweep.log"):
    path = folder / name
    if path.exists() and password in path.read_text(errors="replace"):
        problems.append(f"the Redis password appears in {name}")
print(f"runs completed exactly once: {sum(len(v) == 1 for v in completed.values())}/{runs}")
print(f"completed on silo 1 / silo 2: {sum(v == [1] for v in completed.values())} / {len(done_on_2)}")
print(f"runs of the killed silo finished on silo 1: {len(moved)} ({len(resumed)} resumed from a checkpoint)")
for p in problems: print("PROBLEM: " + p)
sys.exit(1 if problems else 0)
EOF
}

cleanup() {
  local code=$?
  [[ -n "${client_pid:-}" ]] && kill -0 "$client_pid" 2>/dev/null && kill -TERM "$client_pid" 2>/dev/null
  if [[ "${started_cluster:-0}" -eq 1 && $keep -eq 0 ]]; then
    compose down -v -t 30 >>"$dir/compose.log" 2>&1 || say "compose down failed; see $dir/compose.log"
  fi
  stop_api
  exit "$code"
}

run_test() {
  : >"$figures"
  # Redis's password: from the environment, else made up; it reaches the containers by name only.
  local password_hint="GFE_RedisPassword as set"
  if [[ -z "${GFE_RedisPassword:-}" ]]; then
    GFE_RedisPassword=$(od -An -N18 -tx1 /dev/urandom | tr -d ' \n')
    # Kept for --keep (to reach the cluster afterwards), readable by its owner only.
    ( umask 077; printf '%s\n' "$GFE_RedisPassword" >"$dir/redis-password" )
    password_hint="GFE_RedisPassword=\$(cat $dir/redis-password)"
  fi
  # It goes into Redis's configuration inside double quotes.
  [[ "$GFE_RedisPassword" != *[\"\\$'\n']* ]] || fail "GFE_RedisPassword must not contain a double quote, backslash or newline"
  export GFE_RedisPassword
  install_missing
  podman_conf
  command -v dotnet >/dev/null || fail "the .NET SDK 10 is needed for dotnet publish and ./gfe"
  [[ $from_source -eq 1 ]] || publish
  build_images
  trap cleanup EXIT
  start_api
  started_cluster=1
  start_cluster
  write_sweep
  "$root/gfe" sweep validate "$dir/sweep.yaml" >/dev/null || fail "the generated sweep file is not valid"
  rm -rf "$dir/results"
  local t
  t=$(now)
  "$root/gfe" sweep run "$dir/sweep.yaml" --cluster "redis://127.0.0.1:$redis_port" --results "$dir/results" \
    >"$dir/sweep.log" 2>&1 &
  client_pid=$!
  [[ $kill_silo -eq 1 ]] && kill_silo_mid_sweep "$client_pid"
  local code=0
  wait "$client_pid" || code=$?
  client_pid=""
  local what="silo 2 killed"
  [[ $kill_silo -eq 1 ]] || what="no kill"
  figure "sweep ($runs simulated runs of $seconds s on 2 silos x 2 slots, $what)" "$(elapsed "$t") s, exit code $code"
  [[ $kill_silo -eq 1 ]] && figure "from the kill to the end of the sweep" "$(elapsed "$kill_time") s"
  [[ $code -eq 0 ]] || fail "gfe sweep run exited with $code; see $dir/sweep.log"
  check_results | tee -a "$figures" >&2 || fail "checks failed (above); logs in $dir"
  say "passed. Figures in $figures; logs in $dir"
  if [[ $keep -eq 1 ]]; then
    say "cluster left running (--keep): $password_hint ./gfe sweep status $dir/sweep.yaml --cluster redis://127.0.0.1:$redis_port"
    say "stop it with: $0 down --dir $dir"
  fi
}

case "$command" in
  test) run_test ;;
  down) down ;;
esac
