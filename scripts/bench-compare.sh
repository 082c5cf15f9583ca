#!/usr/bin/env bash
# A/A benchmark comparison, a CI step: run the quick criterion benches (benches/quick.rs) twice
# with short measurement times, saving two baselines, and compare them with `canary compare`.
# Same build twice, so no regression is expected: exits 0 when `canary compare` finds none
# (and prints the table), 1 on a regression, 2 on bad input. Results go to a fresh
# CRITERION_HOME so stale results of earlier runs are never compared.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
home="${BENCH_COMPARE_HOME:-$(mktemp -d)}"
export CRITERION_HOME="$home"
flags=(--warm-up-time 0.2 --measurement-time 0.5)
cargo build --release -p canary-cli
cargo bench --bench quick -- "${flags[@]}" --save-baseline aa-old >/dev/null
cargo bench --bench quick -- "${flags[@]}" --save-baseline aa-new >/dev/null
target="${CARGO_TARGET_DIR:-target}"
rc=0
"$target/release/canary" compare --old "$home" --new "$home" \
    --old-baseline aa-old --new-baseline aa-new --margin "${BENCH_COMPARE_MARGIN:-0.02}" \
    --html "$home/report.html" || rc=$?
echo "report: $home/report.html (exit $rc)"
exit "$rc"
