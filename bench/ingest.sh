#!/bin/sh
# Ingest benchmark (issue 6): 100,000 synthetic Arabic and English articles through the real
# identify -> dedup -> store path, 10 % revisions, 5 % duplicates. Not a test; run by hand:
#   bench/ingest.sh [ARTICLES] [STORE_DIR]
# Prints items/s, store size on disk, bytes per article/revision and peak RSS.
set -eu
cd "$(dirname "$0")/.."
exec cargo run --release --example bench_ingest -- "$@"
