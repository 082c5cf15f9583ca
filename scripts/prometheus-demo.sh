#!/usr/bin/env bash
# End-to-end Prometheus demo, bounded in time, exits non-zero on any failure:
#   1. installs Prometheus from Debian packages if `prometheus` or `promtool` is missing;
#   2. writes an OpenMetrics file with a baseline and a canary series (two instances each, the
#      last two hours, 15 s apart, one instance with a 10-minute hole and one NaN sample) and
#      backfills it with `promtool tsdb create-blocks-from openmetrics`;
#   3. starts Prometheus on 127.0.0.1 on a free port with its own data dir in a temp dir;
#   4. waits (bounded) for /-/ready, runs `cargo run --release --example prometheus` against it,
#      and checks its output;
#   5. stops the server and removes the temp dir (trap), whatever happened.
# Usage: scripts/prometheus-demo.sh   (from anywhere; DEMO_TIMEOUT=seconds caps the whole run)
set -euo pipefail

cd "$(dirname "$0")/.."
TIMEOUT="${DEMO_TIMEOUT:-900}"
START_TS=$(date +%s)
say() { printf '[prometheus-demo] %s\n' "$*"; }
fail() { say "FAILED: $*"; exit 1; }
left() { echo $(( TIMEOUT - ($(date +%s) - START_TS) )); }

# --- 1. Prometheus ------------------------------------------------------------------------
if ! command -v prometheus >/dev/null 2>&1 || ! command -v promtool >/dev/null 2>&1; then
    say "installing prometheus (Debian package)"
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    # The package's service may not start in a container; only the binaries are needed.
    timeout 600 $SUDO apt-get update -q || fail "apt-get update"
    timeout 600 $SUDO apt-get install -y -q --no-install-recommends prometheus || fail "apt-get install prometheus"
    # Stop a service the package may have started, so it cannot hold our data or ports.
    ($SUDO service prometheus stop >/dev/null 2>&1 || true)
fi
say "$(prometheus --version 2>&1 | head -1)"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/prometheus-demo.XXXXXX")
PROM_PID=""
cleanup() {
    if [ -n "$PROM_PID" ] && kill -0 "$PROM_PID" 2>/dev/null; then
        kill "$PROM_PID" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$PROM_PID" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$PROM_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

# --- 2. Backfill ---------------------------------------------------------------------------
STEP=15
END=$(( ($(date +%s) - 300) / STEP * STEP ))     # 5 minutes ago, on the step grid
BEGIN=$(( END - 7200 ))                          # two hours of data, inside the retention
say "writing OpenMetrics samples from $BEGIN to $END every ${STEP}s"
awk -v begin="$BEGIN" -v end="$END" -v step="$STEP" 'BEGIN {
    srand(20261123);
    print "# HELP demo_latency_ms Demo request latency by version and instance.";
    print "# TYPE demo_latency_ms gauge";
    n = split("baseline:b-0 baseline:b-1 canary:c-0 canary:c-1", series, " ");
    hole_from = begin + 3600; hole_to = begin + 3600 + 600;   # 10 minutes without samples (c-1)
    for (k = 1; k <= n; k++) {
        split(series[k], parts, ":"); version = parts[1]; inst = parts[2];
        base = (version == "canary") ? 130 : 120;
        for (t = begin; t <= end; t += step) {
            if (inst == "c-1" && t >= hole_from && t < hole_to) continue;
            v = base + 20 * (rand() + rand() + rand() - 1.5);
            value = sprintf("%.3f", v);
            if (inst == "b-1" && t == begin + 1800) value = "NaN";
            printf "demo_latency_ms{version=\"%s\",instance=\"%s\"} %s %d\n", version, inst, value, t;
        }
    }
    print "# EOF";
}' > "$WORK/samples.om"
mkdir -p "$WORK/data"
timeout 120 promtool tsdb create-blocks-from openmetrics "$WORK/samples.om" "$WORK/data" >"$WORK/promtool.log" 2>&1 \
    || { cat "$WORK/promtool.log"; fail "promtool create-blocks-from openmetrics"; }
say "backfilled $(grep -c '^demo_latency_ms' "$WORK/samples.om") samples into $(find "$WORK/data" -name meta.json | wc -l) block(s)"

# --- 3. Server -----------------------------------------------------------------------------
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
PORT=""
for _ in $(seq 1 50); do
    candidate=$(( 20000 + RANDOM % 40000 ))
    if ! port_in_use "$candidate"; then PORT=$candidate; break; fi
done
[ -n "$PORT" ] || fail "no free port found"
cat > "$WORK/prometheus.yml" <<YAML
global:
  scrape_interval: 1h
scrape_configs: []
YAML
say "starting prometheus on 127.0.0.1:$PORT (data in $WORK/data)"
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/data" \
    --storage.tsdb.retention.time=30d --web.listen-address="127.0.0.1:$PORT" \
    >"$WORK/prometheus.log" 2>&1 &
PROM_PID=$!

http_get() { # path -> prints the response (status line, headers, body); bounded by 5 s
    timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT && printf 'GET $1 HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3 && cat <&3"
}
READY=""
for _ in $(seq 1 120); do
    kill -0 "$PROM_PID" 2>/dev/null || { cat "$WORK/prometheus.log"; fail "prometheus exited"; }
    if http_get /-/ready 2>/dev/null | head -1 | grep -q " 200"; then READY=1; break; fi
    sleep 0.5
done
[ -n "$READY" ] || { tail -20 "$WORK/prometheus.log"; fail "prometheus not ready within 60 s"; }
say "prometheus is ready"

# --- 4. The example ------------------------------------------------------------------------
REMAINING=$(left)
[ "$REMAINING" -gt 0 ] || fail "time budget exhausted"
set +e
timeout "$REMAINING" cargo run --quiet --release --example prometheus -- \
    --url "http://127.0.0.1:$PORT" --query demo_latency_ms \
    --start "$BEGIN" --end "$END" --step "$STEP" \
    --group-label version --baseline baseline --canary canary --instance-label instance \
    | tee "$WORK/example.out"
STATUS=${PIPESTATUS[0]}
set -e
[ "$STATUS" -eq 0 ] || fail "the example exited with status $STATUS"
grep -q 'gap: canary c-1' "$WORK/example.out" || fail "the 10-minute hole was not reported as a gap"
grep -q 'Error::Upstream kind=bad_data' "$WORK/example.out" || fail "the error response was not typed"
grep -q '^OK$' "$WORK/example.out" || fail "the example did not finish"
say "passed in $(( $(date +%s) - START_TS )) s"
