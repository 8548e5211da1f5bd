#!/usr/bin/env bash
# Benchmark of the twincloud-api jar in embedded mode (its own PostgreSQL), on loopback, bounded in time.
#   api/bench/run.sh            # DURATION=20s CONNECTIONS=8 THREADS=2 PORT=18090 by default
#   JAVA_OPTS='-XX:TieredStopAtLevel=1' api/bench/run.sh   # JVM options for the API (default: none)
# Measures: start-up time (launch to readiness UP), POST /v1/ecgs (12 leads x 5000 samples) and
# GETs (one recording with all samples; a page of 20) throughput and latency, with wrk.
# Needs: a JDK >= 21 (JAVA_HOME), wrk (apt-get install -y wrk), curl. Builds the jar if missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${DURATION:-20s}
CONNECTIONS=${CONNECTIONS:-8}
THREADS=${THREADS:-2}
PORT=${PORT:-18090}
JAVA_OPTS=${JAVA_OPTS:-}
JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
JAR=$(ls api/target/twincloud-api-*-exec.jar 2>/dev/null | head -1 || true)
command -v wrk >/dev/null || { echo "wrk missing: apt-get install -y wrk" >&2; exit 1; }
if [ -z "$JAR" ]; then
  ./mvnw -B -q -pl api -am package -DskipTests
  JAR=$(ls api/target/twincloud-api-*-exec.jar | head -1)
fi
WORK=$(mktemp -d /tmp/twincloud-bench.XXXXXX)
LOG="$WORK/api.log"
APP_PID=
cleanup() {
  if [ -n "$APP_PID" ] && kill -0 "$APP_PID" 2>/dev/null; then
    kill "$APP_PID"; wait "$APP_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK" # the app stopped its PostgreSQL on shutdown
}
trap cleanup EXIT

start_api() { # $1: label. Starts the jar and waits (max 120 s) for readiness; prints the seconds it took.
  local t0 t1
  t0=$(date +%s.%N)
  (cd "$WORK" && exec "$JAVA_HOME/bin/java" $JAVA_OPTS -jar "$OLDPWD/$JAR" --server.port="$PORT" \
      --twincloud.api.data-dir="$WORK/data" --logging.level.root=warn --logging.level.dev.twincloud=info) >"$LOG" 2>&1 &
  APP_PID=$!
  for _ in $(seq 1 1200); do
    if curl -fs "http://127.0.0.1:$PORT/actuator/health/readiness" >/dev/null 2>&1; then
      t1=$(date +%s.%N)
      echo "start-up ($1): $(echo "$t1 - $t0" | bc) s to readiness UP; $(grep -o 'ready on port .*' "$LOG" | head -1)"
      return 0
    fi
    kill -0 "$APP_PID" 2>/dev/null || { cat "$LOG"; echo "api exited" >&2; exit 1; }
    sleep 0.1
  done
  echo "api not ready after 120 s" >&2; exit 1
}

echo "== twincloud-api benchmark $(date -u +%FT%TZ) on $(nproc) cores, $(uname -sr), $($JAVA_HOME/bin/java -version 2>&1 | head -1), JVM options: ${JAVA_OPTS:-none}"
start_api "first, new PostgreSQL cluster"
kill "$APP_PID"; wait "$APP_PID" 2>/dev/null || true
start_api "restart, existing cluster"
TOKEN=$(grep -m1 '^Dev token: ' "$LOG" | awk '{print $3}')
export TOKEN
BASE="http://127.0.0.1:$PORT"

echo; echo "== POST /v1/ecgs (12 leads x 5000 samples, ~350 KB JSON), $THREADS threads, $CONNECTIONS connections, $DURATION"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --timeout 10s --latency -s api/bench/post.lua "$BASE"

ID=$(curl -fs -H "Authorization: Bearer $TOKEN" "$BASE/v1/ecgs?limit=1" | grep -o '"id":"[^"]*"' | head -1 | cut -d'"' -f4)
echo; echo "== GET /v1/ecgs/$ID (all 12 x 5000 samples), $DURATION"
BENCH_PATH="/v1/ecgs/$ID" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --timeout 10s --latency -s api/bench/get.lua "$BASE"

echo; echo "== GET /v1/ecgs?limit=20 (one page of metadata), $DURATION"
BENCH_PATH="/v1/ecgs?limit=20" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --timeout 10s --latency -s api/bench/get.lua "$BASE"

echo; echo "== stored: $(curl -fs "$BASE/actuator/prometheus" | grep -E '^http_server_requests_seconds_count\{.*method="POST".*status="201"' | awk '{print $2}' | paste -sd+ | bc) recordings created in this run"
