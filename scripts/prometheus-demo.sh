#!/usr/bin/env bash
# End-to-end Prometheus demo, bounded in time, exits non-zero on any failure:
#   1. installs Prometheus from Debian packages if `prometheus` or `promtool` is missing;
#   2. writes an OpenMetrics file with a baseline and a canary series (two instances each, the
#      last two hours, 15 s apart, one instance with a 10-minute hole and one NaN sample) and
#      backfills it with `promtool tsdb create-blocks-from openmetrics`;
#   3. starts Prometheus on 127.0.0.1 on a free port with its own data dir in a temp dir;
#   4. waits (bounded) for /-/ready, runs `cargo run --release --example prometheus` against it,
#      and checks its output;
#   5. judges canaries with `canary judge --prometheus` from a Kayenta-format config whose
#      metrics are Prometheus queries (p99 latency from a histogram, error rate, CPU): a healthy
#      canary (scopes from a Kayenta execution request; exit 0), a regressed one (scopes from
#      flags; exit 1, the latency metric named in the summary), and a config querying a metric
#      that does not exist (exit 2, a clear error);
#   6. stops the server and removes the temp dir (trap), whatever happened.
# Usage: scripts/prometheus-demo.sh   (from anywhere; DEMO_TIMEOUT=seconds caps the whole run)
#   CANARY=/path/to/canary judges with that binary (e.g. the one `cargo install --path cli`
#   installed); otherwise `cargo build --release -p canary-cli` builds it.
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
}' > "$WORK/samples.om"
# Families for the judge: a latency histogram, a request counter by status code and a CPU gauge
# for the baseline, a healthy canary (the same distributions) and a regressed canary (every
# latency x1.6), two instances each, 40 requests per instance every 15 s, 2% of them 500s.
awk -v begin="$BEGIN" -v end="$END" -v step="$STEP" -f - >> "$WORK/samples.om" <<'AWK'
function normal() { return sqrt(-2 * log(1 - rand())) * cos(6.283185307179586 * rand()); }
BEGIN {
    srand(20261201);
    nb = split("0.05 0.1 0.15 0.2 0.3 0.5 0.75 1 2", les, " ");
    n = split("baseline:b-0 baseline:b-1 canary-good:g-0 canary-good:g-1 canary-bad:r-0 canary-bad:r-1", series, " ");
    print "# HELP demo_request_duration_seconds Demo request latency.";
    print "# TYPE demo_request_duration_seconds histogram";
    for (k = 1; k <= n; k++) {
        split(series[k], parts, ":"); version = parts[1]; inst = parts[2];
        scale = (version == "canary-bad") ? 1.6 : 1.0;
        for (b = 1; b <= nb; b++) cum[b] = 0;
        count = 0; sum = 0; ok = 0; bad = 0;
        lbl = sprintf("version=\"%s\",instance=\"%s\"", version, inst);
        for (t = begin; t <= end; t += step) {
            for (r = 0; r < 40; r++) {
                x = scale * exp(log(0.12) + 0.45 * normal());
                count++; sum += x;
                for (b = 1; b <= nb; b++) if (x <= les[b]) cum[b]++;
                if (rand() < 0.02) bad++; else ok++;
            }
            for (b = 1; b <= nb; b++)
                printf "demo_request_duration_seconds_bucket{%s,le=\"%s\"} %d %d\n", lbl, les[b], cum[b], t;
            printf "demo_request_duration_seconds_bucket{%s,le=\"+Inf\"} %d %d\n", lbl, count, t;
            printf "demo_request_duration_seconds_count{%s} %d %d\n", lbl, count, t;
            printf "demo_request_duration_seconds_sum{%s} %.6f %d\n", lbl, sum, t;
            oks[k, t] = ok; bads[k, t] = bad;
        }
    }
    print "# HELP demo_requests Demo requests by status code.";
    print "# TYPE demo_requests counter";
    for (k = 1; k <= n; k++) {
        split(series[k], parts, ":"); version = parts[1]; inst = parts[2];
        for (t = begin; t <= end; t += step)
            printf "demo_requests_total{version=\"%s\",instance=\"%s\",code=\"200\"} %d %d\n", version, inst, oks[k, t], t;
        for (t = begin; t <= end; t += step)
            printf "demo_requests_total{version=\"%s\",instance=\"%s\",code=\"500\"} %d %d\n", version, inst, bads[k, t], t;
    }
    print "# HELP demo_cpu_usage_ratio Demo CPU usage.";
    print "# TYPE demo_cpu_usage_ratio gauge";
    for (k = 1; k <= n; k++) {
        split(series[k], parts, ":"); version = parts[1]; inst = parts[2];
        for (t = begin; t <= end; t += step)
            printf "demo_cpu_usage_ratio{version=\"%s\",instance=\"%s\"} %.4f %d\n", version, inst, 0.4 + 0.05 * normal(), t;
    }
    print "# EOF";
}
AWK
mkdir -p "$WORK/data"
timeout 120 promtool tsdb create-blocks-from openmetrics "$WORK/samples.om" "$WORK/data" >"$WORK/promtool.log" 2>&1 \
    || { cat "$WORK/promtool.log"; fail "promtool create-blocks-from openmetrics"; }
say "backfilled $(grep -vc '^#' "$WORK/samples.om") samples into $(find "$WORK/data" -name meta.json | wc -l) block(s)"

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

# --- 5. canary judge --prometheus -----------------------------------------------------------
if [ -n "${CANARY:-}" ]; then
    BIN="$CANARY"
else
    REMAINING=$(left)
    [ "$REMAINING" -gt 0 ] || fail "time budget exhausted"
    timeout "$REMAINING" cargo build --quiet --release -p canary-cli || fail "building canary"
    BIN="$(pwd)/target/release/canary"
fi
say "judging with $BIN ($("$BIN" --version))"
JSTEP=60    # one point a minute: rate()/histogram windows of 1m do not overlap
# A Kayenta canary config whose metrics are Prometheus queries: two complete PromQL templates
# (`PromQL:` customInlineTemplate, ${scope} bound to each side's scope) and one built by
# Kayenta's default path (metricName + custom filter -> avg(metric{filter})).
cat > "$WORK/config.json" <<'JSON'
{
  "name": "demo-service",
  "judge": {"name": "NetflixACAJudge-v1.0", "judgeConfigurations": {}},
  "metrics": [
    {"name": "latency_p99",
     "query": {"type": "prometheus",
               "customInlineTemplate": "PromQL:histogram_quantile(0.99, sum by (le) (rate(demo_request_duration_seconds_bucket{version=\"${scope}\"}[1m])))"},
     "groups": ["Latency"], "scopeName": "default",
     "analysisConfigurations": {"canary": {"direction": "increase"}}},
    {"name": "error_rate",
     "query": {"type": "prometheus",
               "customInlineTemplate": "PromQL:sum(rate(demo_requests_total{version=\"${scope}\",code=~\"5..\"}[1m])) / sum(rate(demo_requests_total{version=\"${scope}\"}[1m]))"},
     "groups": ["Errors"], "scopeName": "default",
     "analysisConfigurations": {"canary": {"direction": "increase"}}},
    {"name": "cpu",
     "query": {"type": "prometheus", "metricName": "demo_cpu_usage_ratio",
               "customInlineTemplate": "version=\"${scope}\""},
     "groups": ["System"], "scopeName": "default",
     "analysisConfigurations": {"canary": {"direction": "increase"}}}
  ],
  "classifier": {"groupWeights": {"Latency": 50, "Errors": 30, "System": 20},
                 "scoreThresholds": {"pass": 95, "marginal": 75}}
}
JSON
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
cat > "$WORK/request.json" <<JSON
{"scopes": {"default": {
   "controlScope":    {"scope": "baseline",    "start": "$(iso "$BEGIN")", "end": "$(iso "$END")", "step": $JSTEP},
   "experimentScope": {"scope": "canary-good", "start": "$(iso "$BEGIN")", "end": "$(iso "$END")", "step": $JSTEP}}}}
JSON
URL="http://127.0.0.1:$PORT"
judge() { # expected-exit label args... -> runs canary judge, keeps stdout/stderr in $WORK/label.*
    local want=$1 label=$2; shift 2
    local REMAINING; REMAINING=$(left)
    [ "$REMAINING" -gt 0 ] || fail "time budget exhausted"
    set +e
    timeout "$REMAINING" "$BIN" judge --config "$WORK/config.json" --prometheus "$URL" "$@" \
        >"$WORK/$label.out" 2>"$WORK/$label.err"
    local status=$?
    set -e
    say "$label: exit $status"
    case "$label" in
        *json) say "$label: $(wc -c <"$WORK/$label.out") bytes of result JSON on stdout";;
        *) sed 's/^/    /' "$WORK/$label.out";;
    esac
    sed 's/^/    /' "$WORK/$label.err"
    [ "$status" -eq "$want" ] || fail "$label: expected exit $want, got $status"
}
judge 0 healthy --request "$WORK/request.json"
grep -q '^Pass: score' "$WORK/healthy.out" || fail "healthy: no Pass summary"
judge 1 regressed --start "$BEGIN" --end "$END" --step "$JSTEP" \
    --baseline-scope baseline --canary-scope canary-bad
grep -Eq '^(Fail|Marginal): score' "$WORK/regressed.out" || fail "regressed: no Fail/Marginal summary"
grep -q '^  latency_p99 (High)' "$WORK/regressed.out" || fail "regressed: latency_p99 not named"
# --json: exactly one JSON document on stdout.
judge 1 regressed-json --json --start "$BEGIN" --end "$END" --step "$JSTEP" \
    --baseline-scope baseline --canary-scope canary-bad
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["score"]["classification"] in ("Fail","Marginal"), r["score"]' \
    "$WORK/regressed-json.out" || fail "regressed --json: not the result JSON"
# A metric that does not exist: a clear error naming the metric and its query, exit 2.
sed 's/"metricName": "demo_cpu_usage_ratio"/"metricName": "demo_does_not_exist"/' \
    "$WORK/config.json" > "$WORK/missing.json"
REMAINING=$(left)
set +e
timeout "$REMAINING" "$BIN" judge --config "$WORK/missing.json" --prometheus "$URL" \
    --request "$WORK/request.json" >"$WORK/missing.out" 2>"$WORK/missing.err"
STATUS=$?
set -e
say "missing metric: exit $STATUS"
sed 's/^/    /' "$WORK/missing.err"
[ "$STATUS" -eq 2 ] || fail "missing metric: expected exit 2, got $STATUS"
grep -q 'metric `cpu`.*returned no series' "$WORK/missing.err" || fail "missing metric: unclear error"
grep -q 'demo_does_not_exist' "$WORK/missing.err" || fail "missing metric: the query is not shown"
say "passed in $(( $(date +%s) - START_TS )) s"
