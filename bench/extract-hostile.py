#!/usr/bin/env python3
"""Hostile-page timings for `feedkeeper extract` (issue 5 acceptance: each page extracted or
refused with a reason in under 1 s, no stack overflow).

Usage: cargo build --release && python3 bench/extract-hostile.py [target/release/feedkeeper]
Prints one line per page: name, size, wall seconds, peak RSS, outcome.
"""
import os, resource, subprocess, sys, tempfile, time

BIN = sys.argv[1] if len(sys.argv) > 1 else "target/release/feedkeeper"
MIB = 1024 * 1024
P = "<p>Plain paragraph text, with commas, clauses, and enough words to count as body.</p>\n"


def pages():
    yield "50k nested <div>", "<html><body>" + "<div>" * 50_000 + P + "</div>" * 50_000
    yield "50k nested <div> unclosed", "<html><body>" + "<div>" * 50_000 + P
    yield "50k nested <span>", "<html><body><article>" + "<span>" * 50_000 + P
    yield "50k nested <blockquote dir>", "<html><body>" + '<blockquote dir="rtl">' * 50_000 + P
    yield "50k nested <a>", "<html><body><p>" + '<a href="/x">' * 50_000 + "text"
    yield "50k nested <table>", "<html><body>" + "<table><tr><td>" * 20_000 + P
    yield "8 MiB of paragraphs", "<html><body><article>" + P * (8 * MIB // len(P) - 1)
    yield "8 MiB of flat <div>s", "<html><body>" + "<div>x</div>" * (8 * MIB // 12 - 2)
    yield "8 MiB one text node", "<html><body><p>" + "word " * (8 * MIB // 5 - 4)
    yield "8 MiB of attributes", "<html><body><div " + 'a="b" ' * (8 * MIB // 6 - 4) + ">" + P
    yield "8 MiB script", "<html><body>" + P + "<script>" + "x" * (8 * MIB - 200) + "</script>"
    yield "8 MiB + 1 byte (refused)", "<p>" + "x" * (8 * MIB) + "</p>"


def main():
    with tempfile.TemporaryDirectory() as d:
        for name, html in pages():
            path = os.path.join(d, "page.html")
            with open(path, "w") as f:
                f.write(html)
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t = time.monotonic()
            r = subprocess.run(
                [BIN, "extract", "--html", path, "--url", "https://example.org/a", "--format", "jsonl"],
                capture_output=True, text=True,
            )
            wall = time.monotonic() - t
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
            out = r.stdout.strip()
            if r.returncode != 0:
                outcome = f"exit {r.returncode}: {r.stderr.strip()[-120:]}"
            elif '"error"' in out and '"text":null' in out:
                outcome = "refused: " + out.split('"error":', 1)[1].split('"')[1]
            else:
                outcome = f"ok, {len(out)} bytes of JSON"
            print(f"{name:32} {len(html)/MIB:6.2f} MiB  wall {wall:5.2f} s  cpu {cpu:5.2f} s  "
                  f"rss {after.ru_maxrss/1024:6.0f} MiB  {outcome}", flush=True)


if __name__ == "__main__":
    main()
