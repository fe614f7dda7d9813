#!/usr/bin/env bash
# Benchmark (not a test): `run --once` over a local farm of 1,000 feeds x 20 items, each item
# with a 50-150 KB article page (Arabic and English, with navigation, ads and comments),
# served by nginx on loopback. Measures cold (all new), warm (all 304) and a change round
# (10% of feeds with new items, 2% of articles edited, 2% of feeds failing): wall time, CPU
# seconds and peak RSS, beside `curl --parallel` fetching the same 21,000 URLs.
#
#   bench/farm.sh [--feeds 1000] [--items 20] [--seed 42] [--port 18080] [--keep]
#
# FEEDKEEPER_BIN=PATH uses that binary instead of building one.
# Needs nginx (`apt-get install -y nginx`), python3, curl, GNU time; builds --release.
set -euo pipefail
cd "$(dirname "$0")/.."
FEEDS=1000 ITEMS=20 SEED=42 PORT=18080 KEEP=0
while [ $# -gt 0 ]; do
    case "$1" in
        --feeds) FEEDS=$2; shift 2 ;;
        --items) ITEMS=$2; shift 2 ;;
        --seed) SEED=$2; shift 2 ;;
        --port) PORT=$2; shift 2 ;;
        --keep) KEEP=1; shift ;;
        *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
done
command -v nginx >/dev/null || { echo "nginx is missing: apt-get install -y nginx" >&2; exit 2; }
# FARM_WORK=DIR reuses a farm generated earlier with the same arguments (kept with --keep).
WORK=${FARM_WORK:-$(mktemp -d /tmp/feedkeeper-farm.XXXXXX)}
chmod 755 "$WORK"   # nginx workers run unprivileged
BASE="http://127.0.0.1:$PORT"
stop_nginx() { [ -f "$WORK/nginx.pid" ] && nginx -p "$WORK" -c "$WORK/nginx.conf" -s quit 2>/dev/null || true; }
cleanup() { stop_nginx; [ "$KEEP" = 1 ] && echo "kept $WORK" || rm -rf "$WORK"; }
trap cleanup EXIT

# FEEDKEEPER_BIN=PATH measures a binary built earlier (e.g. a copy, while target/ is rebuilt).
if [ -n "${FEEDKEEPER_BIN:-}" ]; then
    BIN=$FEEDKEEPER_BIN
else
    echo "== build (release)"
    cargo build --release --quiet
    BIN=$PWD/target/release/feedkeeper
fi

echo "== generate $FEEDS feeds x $ITEMS items (seed $SEED) in $WORK"
if [ -f "$WORK/www/state.json" ] && [ ! -f "$WORK/www/changed" ]; then
    echo "   (reusing the farm in $WORK/www)"
else
    rm -rf "$WORK/www" "$WORK/store"
    python3 bench/farm_gen.py --dir "$WORK/www" --base "$BASE" --feeds "$FEEDS" --items "$ITEMS" --seed "$SEED"
fi
rm -rf "$WORK/store"
du -sh "$WORK/www" | sed 's/^/   size: /'

mkdir -p "$WORK/logs"
cat > "$WORK/nginx.conf" <<NGINX
worker_processes 2;
pid $WORK/nginx.pid;
error_log $WORK/logs/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    types { application/rss+xml xml; text/html html; }
    client_body_temp_path $WORK/tmp-body;
    proxy_temp_path $WORK/tmp-proxy;
    fastcgi_temp_path $WORK/tmp-fcgi;
    uwsgi_temp_path $WORK/tmp-uwsgi;
    scgi_temp_path $WORK/tmp-scgi;
    server {
        listen 127.0.0.1:$PORT;
        root $WORK/www;
        etag on;
    }
}
NGINX
nginx -p "$WORK" -c "$WORK/nginx.conf"
sleep 0.5
curl -fsS -o /dev/null "$BASE/feeds/0000.xml"

cfg=$WORK/farm.toml
{
    echo "[store]"
    echo "path = \"$WORK/store\""
    echo "[fetch]"
    echo "allow_private_networks = true"
    echo "concurrency = 64"
    echo "per_host_concurrency = 64"
    echo "per_host_gap = \"0s\""
    for ((f = 0; f < FEEDS; f++)); do
        printf '[[feed]]\nname = "farm-%04d"\nurl = "%s/feeds/%04d.xml"\n' "$f" "$BASE" "$f"
    done
} > "$cfg"

RESULTS=$WORK/results.txt
: > "$RESULTS"
measure() { # label, command...
    local label=$1; shift
    /usr/bin/time -f "%e %U %S %M" -o "$WORK/time.txt" "$@" > "$WORK/$label.out" 2> "$WORK/$label.err" || true
    read -r wall user sys rss < "$WORK/time.txt"
    local cpu
    cpu=$(python3 -c "print(f'{$user + $sys:.1f}')")
    printf '%-28s wall %6.2f s   cpu %6s s   peak RSS %5d MB\n' "$label" "$wall" "$cpu" $((rss / 1024)) | tee -a "$RESULTS"
}
summary() { # label
    python3 - "$WORK/$1.out" <<'PY'
import re, sys
new = upd = dup = unch = failed = nm = 0
for line in open(sys.argv[1], encoding="utf-8"):
    if ": failed:" in line:
        failed += 1; continue
    if "not modified" in line:
        nm += 1
    m = re.search(r"(\d+) new, (\d+) updated, (\d+) duplicate, (\d+) unchanged", line)
    if m:
        a, b, c, d = map(int, m.groups()); new += a; upd += b; dup += c; unch += d
print(f"   feeds: {nm} not modified, {failed} failed; items: {new} new, {upd} updated, {dup} duplicate, {unch} unchanged")
PY
}

echo "== curl --parallel over the same URLs"
{
    for ((f = 0; f < FEEDS; f++)); do printf 'url = "%s/feeds/%04d.xml"\noutput = "/dev/null"\n' "$BASE" "$f"; done
    find "$WORK/www/a" -name '*.html' | sort | sed "s#^$WORK/www#$BASE#" | sed 's/.*/url = "&"\noutput = "\/dev\/null"/'
} > "$WORK/curl.cfg"
echo "   $(grep -c '^url' "$WORK/curl.cfg") URLs"
measure "curl --parallel (64)" curl --parallel --parallel-max 64 -s --config "$WORK/curl.cfg"

echo "== feedkeeper run --once"
measure "cold (all new)" "$BIN" run --once --config "$cfg"
summary "cold (all new)" | tee -a "$RESULTS"
measure "warm (all 304)" "$BIN" run --once --config "$cfg"
summary "warm (all 304)" | tee -a "$RESULTS"
python3 bench/farm_gen.py --dir "$WORK/www" --base "$BASE" --feeds "$FEEDS" --items "$ITEMS" --seed "$SEED" --round change
touch "$WORK/www/changed"
measure "after changes" "$BIN" run --once --config "$cfg"
summary "after changes" | tee -a "$RESULTS"
du -sh "$WORK/store" | sed 's/^/   store: /' | tee -a "$RESULTS"

echo
echo "== results ($FEEDS feeds x $ITEMS items, $(nproc) cores)"
cat "$RESULTS"
