#!/usr/bin/env bash
# Benchmark (not a test): feedkeeper polls 1,000 feeds from a local nginx on 127.0.0.1, against
# `curl --parallel` fetching the same URLs with the same concurrency, in one run.
#
# Reports requests/s, CPU seconds (user+sys) and peak RSS of each, read from GNU time -v:
#   1. feedkeeper `run --once`, first poll  (1,000 × 200: fetch + parse + store)
#   2. feedkeeper `run --once`, second poll (1,000 × conditional GET → 304)
#   3. curl --parallel --parallel-max N over the same 1,000 URLs (fetch only, body discarded)
#
# Loopback only: the script starts nginx on a free 127.0.0.1 port and stops it on exit.
# Needs nginx (apt-get install -y nginx), curl, GNU time (/usr/bin/time), python3.
# Usage: bench/fetch_bench.sh [FEEDS=1000] [CONCURRENCY=16]
set -euo pipefail

FEEDS=${1:-1000}
CONC=${2:-16}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${FEEDKEEPER_BIN:-$ROOT/target/release/feedkeeper}
WORK=$(mktemp -d /tmp/fetch-bench.XXXXXX)
NGINX_PID=""

cleanup() {
    if [ -n "$NGINX_PID" ] && kill -0 "$NGINX_PID" 2>/dev/null; then
        kill "$NGINX_PID" 2>/dev/null || true
        wait "$NGINX_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

command -v nginx >/dev/null || { echo "fetch_bench: nginx is missing: apt-get install -y nginx" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "fetch_bench: GNU time is missing: apt-get install -y time" >&2; exit 2; }
if [ ! -x "$BIN" ]; then
    (cd "$ROOT" && cargo build --release)
fi

# --- 1,000 small RSS feeds (5 items each, ~2.5 KiB), some Arabic text.
mkdir -p "$WORK/www/f" "$WORK/logs"
python3 - "$WORK/www/f" "$FEEDS" <<'PY'
import sys, os
d, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    items = "".join(
        f"<item><title>خبر {i}-{j}: Item {j} of feed {i}</title>"
        f"<link>http://127.0.0.1/a/{i}/{j}</link><guid>urn:bench:{i}:{j}</guid>"
        f"<pubDate>Mon, 17 Jun 2024 0{j}:00:00 +0000</pubDate>"
        f"<description>نص الخبر رقم {j} في التغذية {i}. Body of item {j}.</description></item>"
        for j in range(5))
    with open(os.path.join(d, f"{i}.xml"), "w", encoding="utf-8") as f:
        f.write(f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
                f"<title>Bench feed {i}</title><link>http://127.0.0.1/</link>"
                f"<description>bench</description>{items}</channel></rss>")
PY

# nginx workers drop privileges: let them read the files.
chmod 755 "$WORK"
chmod -R a+rX "$WORK/www"

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$WORK/nginx.conf" <<NGX
worker_processes 1;
daemon off;
pid $WORK/nginx.pid;
error_log $WORK/logs/error.log warn;
events { worker_connections 1024; }
http {
    types { application/rss+xml xml; }
    access_log $WORK/logs/access.log;
    keepalive_requests 100000;
    server {
        listen 127.0.0.1:$PORT;
        root $WORK/www;
        etag on;
    }
}
NGX
nginx -p "$WORK" -c "$WORK/nginx.conf" &
NGINX_PID=$!
for _ in $(seq 1 50); do
    curl -fs -o /dev/null "http://127.0.0.1:$PORT/f/0.xml" && break
    sleep 0.1
done
: > "$WORK/logs/access.log"

# --- feedkeeper config: same concurrency, one host, no per-host gap, no scraping.
CFG="$WORK/feedkeeper.toml"
{
    echo "[store]"
    echo "path = \"$WORK/store\""
    echo "[fetch]"
    echo "concurrency = $CONC"
    echo "per_host_concurrency = $CONC"
    echo "per_host_gap = \"0s\""
    for i in $(seq 0 $((FEEDS - 1))); do
        printf '[[feed]]\nname = "f%d"\nurl = "http://127.0.0.1:%d/f/%d.xml"\nscrape = false\n' "$i" "$PORT" "$i"
    done
} > "$CFG"
# curl config: the same URLs, bodies discarded.
for i in $(seq 0 $((FEEDS - 1))); do
    printf 'url = "http://127.0.0.1:%d/f/%d.xml"\noutput = "/dev/null"\n' "$PORT" "$i"
done > "$WORK/curl.cfg"

# measure NAME CMD... → one result line
measure() {
    local name=$1; shift
    : > "$WORK/logs/access.log"
    /usr/bin/time -v -o "$WORK/time.txt" "$@" > "$WORK/out.txt" 2> "$WORK/err.txt" || {
        echo "fetch_bench: $name failed:" >&2; tail -5 "$WORK/err.txt" >&2; exit 1; }
    local reqs
    reqs=$(wc -l < "$WORK/logs/access.log")
    python3 - "$name" "$reqs" "$WORK/time.txt" "$WORK/logs/access.log" <<'PY'
import sys, re
name, reqs, tfile, log = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
t = open(tfile).read()
def g(label):
    return re.search(re.escape(label) + r":\s*(\S+)", t).group(1)
wall = g("Elapsed (wall clock) time (h:mm:ss or m:ss)")
parts = [float(p) for p in wall.split(":")]
secs = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
cpu = float(g("User time (seconds)")) + float(g("System time (seconds)"))
rss = int(g("Maximum resident set size (kbytes)")) / 1024
codes = {}
for line in open(log):
    m = re.search(r'" (\d{3}) ', line)
    if m: codes[m.group(1)] = codes.get(m.group(1), 0) + 1
print(f"{name:<34} {reqs:>6} req  {secs:7.2f} s  {reqs/secs:9.0f} req/s  CPU {cpu:6.2f} s  peak RSS {rss:7.1f} MiB  statuses {codes}")
PY
}

echo "fetch_bench: $FEEDS feeds on nginx 127.0.0.1:$PORT, concurrency $CONC ($(nproc) CPUs)"
measure "feedkeeper run --once (200s)" "$BIN" run --once --config "$CFG"
(grep -c ": 5 new" "$WORK/out.txt" || true) | sed 's/^/  feeds stored with 5 new items: /'
measure "feedkeeper run --once (304s)" "$BIN" run --once --config "$CFG"
(grep -c "not modified (304)" "$WORK/out.txt" || true) | sed 's/^/  feeds answered 304: /'
measure "curl --parallel-max $CONC" curl --parallel --parallel-immediate --parallel-max "$CONC" -s -K "$WORK/curl.cfg"
