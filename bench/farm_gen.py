#!/usr/bin/env python3
"""Generates the benchmark farm for bench/farm.sh: N feeds x M items, each item with one
article page of 50-150 KB (Arabic or English body inside navigation, ads and comments).
Deterministic from --seed. `--round change` applies the change round on top of an existing
farm: 10% of feeds get new items, 2% of articles are edited, 2% of feeds start failing (404).
"""
import argparse, os, random, json
from email.utils import format_datetime
from datetime import datetime, timezone, timedelta

AR = ("الحكومة وزارة الاقتصاد الرقمي الأردنية السورية تكنولوجيا المعلومات الاتصالات مشروع "
      "المدينة الشركات الطاقة المياه التعليم الصحة الجامعة الطلاب المستشفى المرضى الطريق "
      "المحافظة البلدية السوق الأسعار النفط الغاز التجارة الصادرات الواردات الميناء المطار "
      "الرئيس الوزير البرلمان الانتخابات القانون المحكمة الشرطة الأمن الحدود اللاجئين "
      "المنظمة الدولية المؤتمر الاتفاقية التعاون الاستثمار البنك المركزي الدينار الليرة "
      "قال أكد أعلن أشار أوضح خلال بعد قبل حتى منذ عند على في من إلى عن مع هذا هذه التي الذي").split()
EN = ("government ministry economy digital technology information communications project city "
      "companies energy water education health university students hospital patients road "
      "province municipality market prices oil gas trade exports imports port airport "
      "president minister parliament elections law court police security border refugees "
      "organisation international conference agreement cooperation investment central bank "
      "said confirmed announced noted explained during after before until since when on in "
      "from to about with this these which that the a of and for by").split()

NAV = "".join(f'<li><a href="/section/{i}">Section {i} القسم</a></li>' for i in range(60))
AD = ('<div class="ad advert sponsored"><a href="https://ads.example/click?id={n}">'
      '<img src="/ads/{n}.png" alt="ad"> Buy now — special offer {n}! عرض خاص</a>'
      '<script>var slot{n} = {{"size": "300x250", "refresh": 30}};</script></div>')


def words(rng, vocab, n):
    return " ".join(rng.choices(vocab, k=n))


def sentence(rng, vocab, lang):
    comma = "، " if lang == "ar" else ", "
    parts = [words(rng, vocab, rng.randint(5, 10)) for _ in range(rng.randint(1, 3))]
    return comma.join(parts) + "."


def body(rng, lang, paras):
    vocab = AR if lang == "ar" else EN
    return "".join(
        "<p>" + " ".join(sentence(rng, vocab, lang) for _ in range(rng.randint(3, 6))) + "</p>"
        for _ in range(paras))


def page(rng, lang, title, url, published, text_html, size):
    d = "rtl" if lang == "ar" else "ltr"
    head = (f'<!doctype html><html lang="{lang}" dir="{d}"><head><meta charset="utf-8">'
            f'<title>{title}</title><link rel="canonical" href="{url}">'
            f'<meta property="article:published_time" content="{published}">'
            '<style>' + ".x{color:red}" * 200 + '</style></head><body>'
            f'<header><nav class="menu"><ul>{NAV}</ul></nav></header>')
    main = (f'<main><article><h1>{title}</h1><time datetime="{published}">{published}</time>'
            f'<div class="article-body">{text_html}</div></article>')
    parts = [head, AD.format(n=rng.randint(1, 999)), main]
    n = len(head) + len(main)
    comments = ['<section class="comments" id="comments"><h3>Comments التعليقات</h3>']
    vocab = AR if lang == "ar" else EN
    for _ in range(rng.randint(3, 8)):
        c = (f'<div class="comment"><span class="author">user{rng.randint(1, 99999)}</span>'
             f'<p>{words(rng, vocab, rng.randint(15, 40))}</p>'
             f'<a class="reply" href="#reply">Reply رد</a></div>')
        comments.append(c)
        n += len(c.encode())
    # The rest of the size is what real news pages carry: an inline JSON state blob for the
    # page's scripts, ads, and related-story lists.
    blob = []
    while n < size:
        chunk = (f'{{"id": {rng.randint(1, 10**9)}, "headline": "{words(rng, vocab, 12)}", '
                 f'"teaser": "{words(rng, vocab, 30)}", "ad": "{AD.format(n=rng.randint(1, 999)).replace(chr(34), chr(39))}"}},')
        blob.append(chunk)
        n += len(chunk.encode())
    comments.append("</section>")
    tail = '<aside class="related"><ul>' + NAV[:2000] + '</ul></aside><footer>© feedfarm</footer></body></html>'
    script = '<script type="application/json" id="__STATE__">[' + "".join(blob) + '{}]</script>'
    return "".join(parts) + "".join(comments) + "</main>" + script + tail


def item_xml(base, f, i, lang, title, published):
    link = f"{base}/a/{f:04d}/{i:03d}.html"
    return (f"<item><title>{title}</title><link>{link}</link><guid>{link}</guid>"
            f"<pubDate>{format_datetime(published)}</pubDate>"
            f"<description>{title} …</description></item>")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--base", required=True, help="http://127.0.0.1:PORT")
    ap.add_argument("--feeds", type=int, default=1000)
    ap.add_argument("--items", type=int, default=20)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--round", choices=["initial", "change"], default="initial")
    a = ap.parse_args()
    rng = random.Random(a.seed if a.round == "initial" else a.seed + 1)
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    state_path = os.path.join(a.dir, "state.json")
    if a.round == "initial":
        state = {"feeds": {}}
        for f in range(a.feeds):
            lang = "ar" if f % 2 == 0 else "en"
            state["feeds"][str(f)] = {"lang": lang, "items": list(range(a.items)), "next": a.items}
    else:
        with open(state_path) as fh:
            state = json.load(fh)
    os.makedirs(os.path.join(a.dir, "feeds"), exist_ok=True)
    changed_feeds = set()
    edits = []
    failing = set()
    if a.round == "change":
        ids = list(range(a.feeds))
        changed_feeds = set(rng.sample(ids, a.feeds // 10))
        failing = set(rng.sample(ids, a.feeds // 50))
        all_items = [(f, i) for f in ids for i in state["feeds"][str(f)]["items"]]
        edits = rng.sample(all_items, len(all_items) // 50)
    touched_feeds = set(changed_feeds) | {f for f, _ in edits}
    # Pages.
    todo = []
    if a.round == "initial":
        todo = [(f, i, 0) for f in range(a.feeds) for i in range(a.items)]
    else:
        for f in sorted(changed_feeds):
            st = state["feeds"][str(f)]
            for _ in range(2):
                st["items"].insert(0, st["next"])
                todo.append((f, st["next"], 0))
                st["next"] += 1
        todo += [(f, i, 1) for f, i in edits]
    for f, i, version in todo:
        lang = state["feeds"][str(f)]["lang"]
        prng = random.Random(f"{a.seed}/{f}/{i}/{version}")
        title = words(prng, AR if lang == "ar" else EN, 8)
        url = f"{a.base}/a/{f:04d}/{i:03d}.html"
        published = (start + timedelta(minutes=f * 37 + i * 11)).isoformat()
        text = body(prng, lang, prng.randint(6, 14))
        size = prng.randint(50_000, 150_000)
        d = os.path.join(a.dir, "a", f"{f:04d}")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, f"{i:03d}.html"), "w", encoding="utf-8") as fh:
            fh.write(page(prng, lang, title, url, published, text, size))
        state["feeds"][str(f)].setdefault("titles", {})[str(i)] = title
        state["feeds"][str(f)].setdefault("edited", {})[str(i)] = version
    # Feeds.
    for f in range(a.feeds):
        path = os.path.join(a.dir, "feeds", f"{f:04d}.xml")
        if f in failing:
            if os.path.exists(path):
                os.remove(path)
            continue
        if a.round == "change" and f not in touched_feeds:
            continue
        st = state["feeds"][str(f)]
        items = st["items"][: a.items]
        xml = ['<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
               f"<title>Farm feed {f}</title><link>{a.base}/</link><description>farm</description>"]
        for i in items:
            published = start + timedelta(minutes=f * 37 + i * 11)
            title = st["titles"][str(i)]
            if st["edited"].get(str(i)):
                title = title + " (updated)"
            xml.append(item_xml(a.base, f, i, st["lang"], title, published))
        xml.append("</channel></rss>")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write("".join(xml))
    with open(state_path, "w") as fh:
        json.dump(state, fh)
    print(f"{a.round}: {len(todo)} pages written, {len(touched_feeds)} feeds changed, "
          f"{len(edits)} articles edited, {len(failing)} feeds failing")


if __name__ == "__main__":
    main()
