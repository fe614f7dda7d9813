#!/usr/bin/env bash
# Query/search/export benchmark over a 100,000-article store (issue 8). Not a test.
#
#   bench/query.sh [DIR] [N]
#
# Builds release, generates N (default 100000) Arabic + English articles through the store API
# into DIR (default /tmp/feedkeeper-bench; reused when it exists), then times whole-process runs
# of the release binary: the median of 10 runs for each command. Targets: query --limit 50
# <= 20 ms, --search with two terms <= 100 ms, export --limit 500 <= 200 ms.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${1:-/tmp/feedkeeper-bench}
N=${2:-100000}
cargo build --release --quiet --bin feedkeeper
if [ ! -d "$DIR/store" ]; then
    mkdir -p "$DIR"
    cargo bench --quiet --bench query_gen -- "$DIR/store" "$N"
fi
cat > "$DIR/feedkeeper.toml" <<TOML
[store]
path = "$DIR/store"
TOML
BIN=${FEEDKEEPER_BIN:-target/release/feedkeeper}
CFG=$DIR/feedkeeper.toml

median() { # command... ; prints the median wall time of 10 runs in ms
    local times=()
    for _ in $(seq 10); do
        local s e
        s=$(date +%s%N)
        "$@" >/dev/null 2>&1
        e=$(date +%s%N)
        times+=($(( (e - s) / 1000 )))
    done
    printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.1f", (a[5]+a[6])/2/1000}'
}

run() { # label target_ms command...
    local label=$1 target=$2; shift 2
    local m
    m=$(median "$@")
    printf '%-46s %8s ms  (target %s ms)\n' "$label" "$m" "$target"
}

echo "store: $(du -sh "$DIR/store" | cut -f1) on disk; $("$BIN" check --config "$CFG" | tail -1)"
run "query --limit 50" 20 "$BIN" query --config "$CFG" --limit 50 --format jsonl
run "query --limit 50 --format table" 20 "$BIN" query --config "$CFG" --limit 50
run "query --search 'الاردن وزير' --limit 50" 100 "$BIN" query --config "$CFG" --search "الاردن وزير" --limit 50 --format jsonl
run "query --search 'minister economy' --limit 50" 100 "$BIN" query --config "$CFG" --search "minister economy" --limit 50 --format jsonl
run "query --search '\"وزير الاتصالات\"' (phrase)" 100 "$BIN" query --config "$CFG" --search '"وزير الاتصالات"' --limit 50 --format jsonl
run "export --limit 500 (atom)" 200 "$BIN" export --config "$CFG" --limit 500
run "export --limit 500 (json)" 200 "$BIN" export --config "$CFG" --limit 500 --format json
run "store open only (feedkeeper check)" - "$BIN" check --config "$CFG"

# Where the time goes inside one process (store open vs selection vs output).
echo "in-process breakdown (FEEDKEEPER_TIMING=1), 3 runs each:"
for args in "query --limit 50 --format jsonl" "export --limit 500"; do
    for _ in 1 2 3; do
        # shellcheck disable=SC2086
        FEEDKEEPER_TIMING=1 "$BIN" $args --config "$CFG" 2>&1 >/dev/null | grep timing
    done
done
for q in "الاردن وزير" "minister economy" '"وزير الاتصالات"' "-zzzz"; do
    for _ in 1 2 3; do
        FEEDKEEPER_TIMING=1 "$BIN" query --config "$CFG" --search="$q" --limit 50 --format jsonl 2>&1 >/dev/null | grep timing | sed "s/^/[$q] /"
    done
done
