#!/usr/bin/env bash
# A GFE cluster on this machine: one redis-server (membership and run records) and N gfe-silo processes, all bound
# to 127.0.0.1. PIDs, logs and Redis data go under a run folder; `stop` ends what `start` started.
#
# Usage:
#   deploy/local-cluster.sh start [--silos N] [--slots S] [--redis-port P] [--silo-port P] [--gateway-port P] [--dir DIR]
#   deploy/local-cluster.sh stop [--dir DIR]
#   deploy/local-cluster.sh status [--dir DIR]
# A Redis password is taken from $GFE_RedisPassword (never from the command line, which other users can read);
# the silos get it through the same variable and `gfe --cluster redis://...` reads it too.
# Then: ./gfe sweep run deploy/sweeps/smoke.yaml --cluster redis://127.0.0.1:P   (see docs/cluster.md)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
silo_dll="$root/Gfe.Silo/bin/Release/net10.0/gfe-silo.dll"

command="${1:-}"
[[ $# -gt 0 ]] && shift
silos=2
slots=""
redis_port=6379
silo_port=11111
gateway_port=30000
dir="$root/run/local-cluster"

usage() { sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
fail() { echo "local-cluster: $*" >&2; exit 1; }
number() { [[ "$2" =~ ^[0-9]+$ ]] || fail "$1 must be a number, not '$2'"; echo "$2"; }

while [[ $# -gt 0 ]]; do
  [[ $# -ge 2 ]] || usage
  case "$1" in
    --silos) silos=$(number "$1" "$2") ;;
    --slots) slots=$(number "$1" "$2") ;;
    --redis-port) redis_port=$(number "$1" "$2") ;;
    --silo-port) silo_port=$(number "$1" "$2") ;;
    --gateway-port) gateway_port=$(number "$1" "$2") ;;
    --dir) dir="$2" ;;
    *) usage ;;
  esac
  shift 2
done

alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

port_busy() {
  # bash's /dev/tcp: a connection that succeeds means something already listens there.
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

ensure_redis_installed() {
  command -v redis-server >/dev/null 2>&1 && return
  if [[ $(id -u) -ne 0 ]]; then
    fail "redis-server is not installed; as root: apt-get update && apt-get install -y redis-server"
  fi
  echo "local-cluster: installing redis-server (apt-get)..." >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
}

build_silo() {
  local newer=""
  if [[ -f "$silo_dll" ]]; then
    newer=$(find "$root" -path "$root/.git" -prune -o \( -name bin -o -name obj -o -name results -o -name run \) -prune -o \
      -type f \( -name '*.cs' -o -name '*.csproj' -o -name '*.props' -o -name '*.targets' -o -name '*.json' \) \
      -newer "$silo_dll" -print -quit)
  fi
  if [[ ! -f "$silo_dll" || -n "$newer" ]]; then
    echo "local-cluster: building gfe-silo (Release)..." >&2
    dotnet build "$root/Gfe.Silo/Gfe.Silo.csproj" -c Release -nologo -v quiet >"$dir/build.log" 2>&1 \
      || fail "build failed; see $dir/build.log"
    touch "$silo_dll"
  fi
}

start_redis() {
  mkdir -p "$dir/redis"
  chmod 700 "$dir/redis"
  # The password goes in a file only its owner reads, not on redis-server's command line.
  local conf="$dir/redis/redis.conf"
  ( umask 077
    {
      echo "bind 127.0.0.1"
      echo "protected-mode yes"
      echo "port $redis_port"
      echo "dir $dir/redis"
      echo "logfile $dir/redis/redis.log"
      echo "pidfile $dir/redis/redis.pid"
      echo "daemonize no"
      # Run records survive a restart of Redis: append-only file, synced every second.
      echo "appendonly yes"
      if [[ -n "${GFE_RedisPassword:-}" ]]; then echo "requirepass \"$GFE_RedisPassword\""; fi
    } >"$conf" )
  nohup redis-server "$conf" >/dev/null 2>&1 &
  echo $! >"$dir/redis.pid"
  for _ in $(seq 100); do
    port_busy "$redis_port" && return
    alive "$dir/redis.pid" || fail "redis-server exited at start; see $dir/redis/redis.log"
    sleep 0.1
  done
  fail "redis-server did not listen on 127.0.0.1:$redis_port within 10 s; see $dir/redis/redis.log"
}

start_silo() {
  local i=$1 port=$((silo_port + $1 - 1)) gateway=$((gateway_port + $1 - 1))
  local log_dir="$dir/silo-$i"
  mkdir -p "$log_dir"
  local args=(--Clustering redis --Redis "127.0.0.1:$redis_port" --AdvertisedAddress 127.0.0.1
              --SiloPort "$port" --GatewayPort "$gateway" --LogDirectory "$log_dir")
  [[ -n "$slots" ]] && args+=(--Slots "$slots")
  # One OpenMP thread per run: runs go side by side in job slots (as ./gfe does for local mode).
  OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}" nohup dotnet "$silo_dll" "${args[@]}" >"$log_dir/console.log" 2>&1 &
  echo $! >"$dir/silo-$i.pid"
}

wait_for_silo() {
  local i=$1
  for _ in $(seq 600); do
    grep -q "GFE silo ready" "$dir/silo-$i/console.log" 2>/dev/null && return
    alive "$dir/silo-$i.pid" || fail "silo $i exited at start; see $dir/silo-$i/console.log"
    sleep 0.1
  done
  fail "silo $i was not ready within 60 s; see $dir/silo-$i/console.log"
}

start() {
  [[ $silos -ge 1 ]] || fail "--silos must be at least 1"
  mkdir -p "$dir"
  for pid_file in "$dir"/*.pid; do
    alive "$pid_file" && fail "a cluster is already running from $dir (pid $(cat "$pid_file")); stop it first: $0 stop --dir $dir"
  done
  rm -f "$dir"/*.pid
  port_busy "$redis_port" && fail "port 127.0.0.1:$redis_port is in use; choose another with --redis-port"
  for i in $(seq "$silos"); do
    for port in $((silo_port + i - 1)) $((gateway_port + i - 1)); do
      port_busy "$port" && fail "port 127.0.0.1:$port is in use; choose other bases with --silo-port / --gateway-port"
    done
  done
  [[ "${GFE_RedisPassword:-}" != *[\"\\$'\n']* ]] || fail "GFE_RedisPassword must not contain a double quote, backslash or newline"
  ensure_redis_installed
  build_silo
  start_redis
  echo "local-cluster: redis-server on 127.0.0.1:$redis_port (pid $(cat "$dir/redis.pid"))"
  for i in $(seq "$silos"); do start_silo "$i"; done
  for i in $(seq "$silos"); do
    wait_for_silo "$i"
    echo "local-cluster: silo $i on 127.0.0.1:$((silo_port + i - 1)), gateway $((gateway_port + i - 1)) (pid $(cat "$dir/silo-$i.pid"), logs in $dir/silo-$i)"
  done
  echo "local-cluster: ready. Run a sweep with:"
  echo "  ./gfe sweep run deploy/sweeps/smoke.yaml --cluster redis://127.0.0.1:$redis_port"
  echo "Stop with: $0 stop --dir $dir"
}

stop_process() {
  local name=$1 pid_file=$2
  alive "$pid_file" || { rm -f "$pid_file"; return; }
  local pid
  pid=$(cat "$pid_file")
  kill -TERM "$pid"
  # Silos stop gracefully (leave the membership, let runs stop); give them time before forcing.
  for _ in $(seq 300); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$pid_file"; echo "local-cluster: stopped $name (pid $pid)"; return; }
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$pid_file"
  echo "local-cluster: killed $name (pid $pid) after 30 s"
}

stop() {
  [[ -d "$dir" ]] || fail "no cluster run folder at $dir"
  for pid_file in "$dir"/silo-*.pid; do
    [[ -e "$pid_file" ]] && stop_process "$(basename "$pid_file" .pid)" "$pid_file"
  done
  [[ -e "$dir/redis.pid" ]] && stop_process redis-server "$dir/redis.pid"
  echo "local-cluster: stopped; logs and Redis data stay in $dir"
}

status() {
  [[ -d "$dir" ]] || fail "no cluster run folder at $dir"
  local any=0
  for pid_file in "$dir"/redis.pid "$dir"/silo-*.pid; do
    [[ -e "$pid_file" ]] || continue
    any=1
    if alive "$pid_file"; then state=running; else state=gone; fi
    echo "$(basename "$pid_file" .pid): pid $(cat "$pid_file") $state"
  done
  [[ $any -eq 1 ]] || echo "nothing started from $dir"
}

case "$command" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) usage ;;
esac
