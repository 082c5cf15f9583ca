#!/usr/bin/env bash
# A/A benchmark comparison, a CI step: the crate's quick criterion benches (benches/quick.rs),
# the same build as "old" and as "new", compared with `canary compare`. Same build twice, so no
# regression is expected: exits 0 when `canary compare` finds none (and prints the table), 1 on
# a regression, 2 on bad input.
#
# The two sides are saved criterion baselines, aa-old and aa-new, each taken as ROUNDS runs
# (default 10) interleaved in ABBA order (old, new in odd rounds, new, old in even rounds), each
# run a fresh process saved as aa-old-<k> / aa-new-<k>; `canary compare --old-baseline
# aa-old-1,...` then compares one value per run, its median. A machine whose speed jumps between
# processes (as the 2-core CI and development VMs do, by up to 60% for seconds at a time) makes
# two back-to-back runs differ by more than any margin; interleaving puts the jumps on both sides
# alike, and one value per run makes the test count runs, not samples, as the unit (see the
# `bench` module docs). Suite-wide alpha 0.01 rather than the default 0.05: Holm bounds the
# chance of any false regression in an A/A suite by alpha, and a CI gate should fail on its
# own noise at most once in a hundred runs. Results go to a fresh CRITERION_HOME so stale
# results are never compared.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
home="${BENCH_COMPARE_HOME:-$(mktemp -d)}"
export CRITERION_HOME="$home"
rounds="${ROUNDS:-10}"
flags=(--warm-up-time 0.1 --measurement-time 0.2 --sample-size 10)
cargo build --release -p canary-cli
exe=$(cargo bench --bench quick --no-run 2>&1 | sed -n 's/.*Executable .*(\(.*\))/\1/p' | tail -1)
old=() new=()
for r in $(seq 1 "$rounds"); do
    order=(old new)
    [ $((r % 2)) = 0 ] && order=(new old)
    for side in "${order[@]}"; do
        if ! "$exe" --bench "${flags[@]}" --save-baseline "aa-$side-$r" >"$home/bench.log" 2>&1; then
            cat "$home/bench.log" >&2
            exit 2
        fi
    done
    old+=("aa-old-$r") new+=("aa-new-$r")
    echo "round $r of $rounds" >&2
done
join() { local IFS=,; echo "$*"; }
target="${CARGO_TARGET_DIR:-target}"
rc=0
"$target/release/canary" compare --old "$home" --new "$home" \
    --old-baseline "$(join "${old[@]}")" --new-baseline "$(join "${new[@]}")" \
    --margin "${BENCH_COMPARE_MARGIN:-0.02}" --alpha "${BENCH_COMPARE_ALPHA:-0.01}" \
    --drop-disturbed 0.10 --html "$home/report.html" || rc=$?
echo "report: $home/report.html (exit $rc)"
exit "$rc"
