"""Invented news article pages and their RSS feeds, deterministic per seed, for the fetch benchmark.

Real article pages are mostly not the article. Around 500-1500 words of story
sit in 50-300 kB of HTML: a head full of meta and preload tags, inline CSS,
analytics and ad configuration scripts, a framework's hydration JSON (which
often repeats the whole story), JSON-LD, a mega-menu, breadcrumbs, in-article
ad slots and "read more" boxes, share buttons with inline SVG icons, tags,
related and most-read lists, a comment thread, a newsletter form, a cookie
banner and a fat footer. Extraction cost and connector cost both grow with
that weight, so a benchmark on 3 kB pages measures the wrong ratio.

Nothing here is copied from a real site; all text is drawn from a small
vocabulary with `random.Random(seed)`, so the same seed gives the same bytes.
`kind="small"` keeps the earlier 3-4 kB pages as a second data point.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

WORDS = ("harbour council river market ferry bridge library school budget vote storm repair road train station "
         "museum festival hospital water power prices workers union strike court judge police fire weather farm "
         "harvest bakery club match season coach mayor plan housing rent tenants residents survey report minister "
         "island canal lock boat fishing fleet catch quota inspector engineer contract tender delay cost").split()
FILLER = ("the a of to in and for on with at by from that which after before over under while as "
          "said says would could will has have had was were is are been new last first").split()
SURNAMES = "Calder Bakare Lindqvist Penhale Wrona Okafor Moreau Tanaka Ruiz Novak Hale Brandt Costa Ivers".split()
GIVEN = "Amara Jonas Lena Tomasz Ines Kofi Mei Rafael Sigrid Oscar Nadia Pieter".split()
SECTIONS = ("news politics business money sport football cricket culture film music books science health "
            "education environment travel food property opinion obituaries weather").split()
#: A share button's icon path, as icon sets inline it (invented geometry, realistic length).
_ICON = ("M12 2C6.48 2 2 6.48 2 12c0 4.84 3.44 8.87 8 9.8V15H8v-3h2V9.5C10 7.57 11.57 6 13.5 6H16v3h-2"
         "c-.55 0-1 .45-1 1v2h3v3h-3v6.95c5.05-.5 9-4.76 9-9.95 0-5.52-4.48-10-10-10z")

KINDS = ("small", "realistic")


@dataclass(frozen=True, slots=True)
class Story:
    """What a page and its feed item agree on."""

    feed: int
    item: int
    title: str
    summary: str
    author: str
    day: int


def _rng(seed: int, feed: int, item: int) -> random.Random:
    return random.Random(f"{seed}/{feed}/{item}")


def _sentence(rng: random.Random, low: int = 12, high: int = 24) -> str:
    words = [rng.choice(WORDS) if rng.random() < 0.6 else rng.choice(FILLER) for _ in range(rng.randint(low, high))]
    return " ".join(words).capitalize() + "."


def _title(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 11))).capitalize()


def _name(rng: random.Random) -> str:
    return f"{rng.choice(GIVEN)} {rng.choice(SURNAMES)}"


def story(seed: int, feed: int, item: int) -> Story:
    rng = _rng(seed, feed, item)
    return Story(feed, item, _title(rng), _sentence(rng, 20, 30), _name(rng), 1 + item % 28)


def _paragraphs(rng: random.Random, words: int) -> list[str]:
    out, count = [], 0
    while count < words:
        text = " ".join(_sentence(rng) for _ in range(rng.randint(2, 5)))
        count += len(text.split())
        out.append(text)
    return out


def _links(rng: random.Random, base: str, count: int, words: tuple[int, int] = (1, 2)) -> str:
    return "".join(f'<li class="menu__item"><a class="menu__link" href="{base}/{rng.choice(SECTIONS)}/'
                   f'{rng.randrange(10**6)}" data-track="nav">'
                   f'{" ".join(rng.choice(WORDS) for _ in range(rng.randint(*words))).title()}</a></li>'
                   for _ in range(count))


def _css(rng: random.Random, rules: int) -> str:
    props = ("margin:0 auto", "padding:0 16px", "display:flex", "font-size:1.0625rem", "line-height:1.5",
             "color:#121212", "border-bottom:1px solid #dcdcdc", "grid-template-columns:repeat(12,1fr)",
             "transition:opacity .2s ease-in-out", "background:#f6f6f6")
    return "".join(f".c-{rng.choice(WORDS)}-{rng.randrange(999)}{{{';'.join(rng.sample(props, 3))}}}"
                   for _ in range(rules))


def _hydration(rng: random.Random, s: Story, paragraphs: list[str], related: list[str]) -> str:
    """A framework's page state: the story again, plus teasers and config."""
    state = {
        "props": {"pageProps": {
            "article": {"id": f"{s.feed}-{s.item}", "headline": s.title, "standfirst": s.summary,
                        "body": [{"type": "paragraph", "text": p} for p in paragraphs],
                        "byline": s.author, "section": rng.choice(SECTIONS)},
            "related": [{"headline": r, "url": f"/{rng.choice(SECTIONS)}/{rng.randrange(10**6)}",
                         "image": {"src": f"/img/{rng.randrange(10**8)}.jpg", "width": 640, "height": 360}}
                        for r in related],
            "ads": {f"slot-{n}": {"sizes": [[300, 250], [728, 90]], "targeting": {"kw": rng.sample(WORDS, 6)}}
                    for n in range(rng.randint(4, 12))},
            "flags": {f"feature_{rng.choice(WORDS)}_{n}": rng.random() < 0.5 for n in range(rng.randint(20, 80))},
        }},
        "buildId": f"{rng.getrandbits(64):016x}",
    }
    return json.dumps(state, separators=(",", ":"))


def _comment(rng: random.Random, n: int, base_day: int) -> str:
    return (f'<li class="comment" id="comment-{n}"><div class="comment__meta"><span class="comment__author">'
            f'{rng.choice(GIVEN).lower()}{rng.randrange(100)}</span> <time datetime="2026-03-{base_day:02d}T'
            f'{rng.randrange(9, 23):02d}:{rng.randrange(60):02d}:00Z">{rng.randrange(1, 12)} hours ago</time>'
            f'</div><div class="comment__body"><p>{" ".join(_sentence(rng, 6, 20) for _ in range(rng.randint(1, 3)))}'
            f'</p></div><div class="comment__actions"><button>Reply</button><button>Recommend '
            f'({rng.randrange(40)})</button><button>Report</button></div></li>')


def realistic_page(seed: int, feed: int, item: int) -> str:
    """An article page with the weight and chrome of a real news site's."""
    s = story(seed, feed, item)
    rng = _rng(seed, feed, item + 10**6)
    site, section = f"Gazette {feed}", rng.choice(SECTIONS)
    words = rng.randint(480, 1400)  # plus subheadings: 500-1500 words of article text
    #: How much chrome this site carries; a heavy tail, as real sites range from lean to bloated.
    heft = min(4.0, rng.lognormvariate(0.0, 0.55))
    paragraphs = _paragraphs(rng, words)
    related = [_title(rng) for _ in range(rng.randint(6, 12))]
    when = f"2026-03-{s.day:02d}T08:00:00Z"
    url = f"/f{feed}/{item}.html"
    image = f"/img/{rng.randrange(10**8)}.jpg"

    metas = "".join(f'<meta property="{p}" content="{v}">' for p, v in (
        ("og:site_name", site), ("og:type", "article"), ("og:title", s.title), ("og:description", s.summary),
        ("og:image", image), ("og:url", url), ("article:published_time", when),
        ("article:modified_time", f"2026-03-{s.day:02d}T09:{rng.randrange(60):02d}:00Z"),
        ("article:section", section.title()), ("article:author", s.author))) + "".join(
        f'<meta name="{n}" content="{v}">' for n, v in (
            ("description", s.summary), ("twitter:card", "summary_large_image"), ("twitter:title", s.title),
            ("twitter:description", s.summary), ("twitter:image", image), ("robots", "max-image-preview:large"),
            ("viewport", "width=device-width, initial-scale=1")))
    preloads = "".join(f'<link rel="preload" href="/static/{rng.getrandbits(48):012x}.{kind}" as="{as_}">'
                       for kind, as_ in [("woff2", "font"), ("js", "script"), ("css", "style")] * rng.randint(2, 5))
    json_ld = json.dumps([
        {"@context": "https://schema.org", "@type": "NewsArticle", "headline": s.title, "description": s.summary,
         "datePublished": when, "dateModified": when, "image": [image], "articleSection": section.title(),
         "author": [{"@type": "Person", "name": s.author, "url": f"/profile/{s.author.lower().replace(' ', '-')}"}],
         "publisher": {"@type": "Organization", "name": site, "logo": {"@type": "ImageObject", "url": "/logo.png"}},
         "isAccessibleForFree": True, "mainEntityOfPage": url},
        {"@context": "https://schema.org", "@type": "BreadcrumbList", "itemListElement": [
            {"@type": "ListItem", "position": 1, "name": "Home", "item": "/"},
            {"@type": "ListItem", "position": 2, "name": section.title(), "item": f"/{section}"}]}])
    analytics = ("window.dataLayer=window.dataLayer||[];dataLayer.push(" + json.dumps(
        {"pageType": "article", "section": section, "author": s.author, "words": words,
         "tags": rng.sample(WORDS, 8), "published": when, "contentId": f"{feed}-{item}"}) + ");"
        "(function(w,d,s,l,i){w[l]=w[l]||[];var f=d.getElementsByTagName(s)[0],j=d.createElement(s);"
        "j.async=true;j.src='/static/tag.js?id='+i;f.parentNode.insertBefore(j,f);})(window,document,'script',"
        "'dataLayer','GT-000000');")

    mega = "".join(f'<li class="mega__section"><a href="/{sec}">{sec.title()}</a><ul class="mega__sub">'
                   f'{_links(rng, "", rng.randint(4, 14))}</ul></li>' for sec in SECTIONS)
    body_parts = []
    for n, text in enumerate(paragraphs):
        body_parts.append(f"<p>{text}</p>")
        if n == 2:
            body_parts.append(f'<figure class="article__figure"><img src="{image}" srcset="{image}?w=320 320w, '
                              f'{image}?w=640 640w, {image}?w=1280 1280w" sizes="(max-width: 600px) 100vw, 640px" '
                              f'alt="{_sentence(rng, 5, 9)}" loading="lazy" width="1280" height="720"><figcaption>'
                              f'{_sentence(rng, 8, 14)} Photograph: {_name(rng)}</figcaption></figure>')
        if n % 4 == 3:
            body_parts.append(f'<div class="ad-slot ad-slot--inline" id="inline-{n}" data-sizes="300x250,336x280">'
                              f'<div class="ad-slot__label">Advertisement</div></div>')
        if n % 7 == 5:
            body_parts.append(f'<aside class="read-more"><span>Read more</span><a href="/{section}/'
                              f'{rng.randrange(10**6)}">{_title(rng)}</a></aside>')
        if n % 6 == 4 and n + 1 < len(paragraphs):
            body_parts.append(f"<h2>{_title(rng)}</h2>")
    share = "".join(f'<li><a class="share share--{net}" href="https://share.invalid/{net}?u={url}" '
                    f'aria-label="Share on {net}"><svg viewBox="0 0 24 24" width="24" height="24"><path d="{_ICON}">'
                    f'</path></svg></a></li>' for net in ("facebook", "x", "linkedin", "whatsapp", "email", "copy"))
    cards = "".join(f'<li class="card"><a href="/{rng.choice(SECTIONS)}/{rng.randrange(10**6)}"><img src="/img/'
                    f'{rng.randrange(10**8)}.jpg" alt="" loading="lazy" width="320" height="180"><h3 class="card__title">'
                    f'{r}</h3><p class="card__teaser">{_sentence(rng, 10, 18)}</p></a></li>' for r in related)
    most_read = "".join(f'<li><span class="rank">{n}</span><a href="/{rng.choice(SECTIONS)}/{rng.randrange(10**6)}">'
                        f'{_title(rng)}</a></li>' for n in range(1, 11))
    comments = "".join(_comment(rng, n, s.day) for n in range(int(rng.choice((0, 0, 5, 12, 25, 40, 60)) * heft)))
    footer = "".join(f'<div class="footer__col"><h4>{rng.choice(WORDS).title()}</h4><ul>'
                     f'{_links(rng, "", rng.randint(6, 12), (1, 3))}</ul></div>' for _ in range(rng.randint(4, 8)))
    tags = "".join(f'<li><a href="/topic/{w}">{w.title()}</a></li>' for w in rng.sample(WORDS, rng.randint(3, 8)))
    tail_scripts = "".join(f'<script src="/static/{rng.getrandbits(48):012x}.js" defer></script>'
                           for _ in range(rng.randint(4, 12)))

    return f"""<!DOCTYPE html>
<html lang="en-GB" class="no-js"><head><meta charset="utf-8"><title>{s.title} | {section.title()} | {site}</title>
{metas}<link rel="canonical" href="{url}"><link rel="amphtml" href="{url}?amp=1">{preloads}
<style>{_css(rng, int(rng.randint(150, 700) * heft))}</style>
<script type="application/ld+json">{json_ld}</script>
<script>{analytics}</script>
<script>window.__AD_CONFIG__={json.dumps({"network": 1234, "slots": [f"inline-{n}" for n in range(len(paragraphs))],
                                          "keywords": rng.sample(WORDS, 12), "consent": "tcf-v2"})};</script>
</head><body class="article-page section-{section}">
<a class="skip-link" href="#main">Skip to main content</a>
<div class="cookie-banner" hidden><p>We use cookies to improve your experience. Manage cookies or accept all cookies to
continue.</p><button>Accept all</button><button>Manage</button></div>
<header class="site-header"><a class="logo" href="/"><svg viewBox="0 0 160 32" width="160" height="32"><path d="{_ICON}">
</path></svg><span class="visually-hidden">{site}</span></a><button class="menu-toggle" aria-expanded="false">Menu</button>
<nav class="mega" aria-label="Sections"><ul>{mega}</ul></nav>
<form class="search" action="/search"><input type="search" name="q" placeholder="Search"><button>Search</button></form>
<div class="account"><a href="/login">Sign in</a> <a class="subscribe" href="/subscribe">Subscribe</a></div></header>
<div class="ad-slot ad-slot--leaderboard" id="top" data-sizes="728x90,970x250"></div>
<main id="main"><nav class="breadcrumbs"><ol><li><a href="/">Home</a></li><li><a href="/{section}">{section.title()}
</a></li></ol></nav>
<article class="article"><header class="article__header"><h1 class="article__headline">{s.title}</h1>
<p class="article__standfirst">{s.summary}</p>
<div class="byline">By <a rel="author" href="/profile/{s.author.lower().replace(' ', '-')}">{s.author}</a>
<time datetime="{when}">{s.day} March 2026</time></div>
<ul class="share-bar">{share}</ul></header>
<div class="article__body">
{chr(10).join(body_parts)}
</div>
<footer class="article__footer"><ul class="tags">{tags}</ul><ul class="share-bar">{share}</ul></footer></article>
<aside class="related"><h2>More on this story</h2><ul class="cards">{cards}</ul></aside>
<aside class="most-read"><h2>Most read</h2><ol>{most_read}</ol></aside>
<section class="comments" id="comments"><h2>Comments</h2><ol class="comment-list">{comments}</ol></section>
<section class="newsletter"><h2>Sign up to the morning briefing</h2><form action="/newsletter"><input type="email"
name="email"><button>Sign up</button></form></section></main>
<footer class="site-footer">{footer}<p class="copyright">&copy; 2026 {site}. All rights reserved.</p></footer>
<script id="__NEXT_DATA__" type="application/json">{_hydration(rng, s, paragraphs, related)}</script>
{tail_scripts}</body></html>"""


def small_page(seed: int, feed: int, item: int) -> str:
    """The earlier 3-4 kB page: article, a short nav, a related list, JSON-LD."""
    s = story(seed, feed, item)
    rng = _rng(seed, feed, item + 10**6)
    paragraphs = "\n".join(f"<p>{' '.join(_sentence(rng) for _ in range(rng.randint(3, 5)))}</p>"
                           for _ in range(rng.randint(8, 14)))
    nav = " ".join(f'<li><a href="/section/{w}">{w.title()}</a></li>' for w in WORDS[:30])
    related = " ".join(f'<li><a href="/f{feed}/{(item + k) % 50}.html">{_sentence(rng)}</a></li>' for k in range(1, 8))
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{s.title} | Gazette {feed}</title>
<meta property="og:site_name" content="Gazette {feed}">
<script type="application/ld+json">{{"@context":"https://schema.org","@type":"NewsArticle","headline":"{s.title}",
"datePublished":"2026-03-{s.day:02d}T08:00:00Z","author":{{"@type":"Person","name":"{s.author}"}}}}</script>
<style>body{{font-family:serif}} .nav li{{display:inline}}</style></head>
<body><header><ul class="nav">{nav}</ul><form><input name="q"></form></header>
<main><article><h1>{s.title}</h1><p class="byline">By {s.author}</p>
{paragraphs}
</article><aside><h2>Related</h2><ul>{related}</ul></aside></main>
<footer><p>Gazette {feed}. All rights reserved.</p><ul>{nav}</ul></footer></body></html>"""


def article_page(kind: str, seed: int, feed: int, item: int) -> str:
    if kind == "small":
        return small_page(seed, feed, item)
    if kind == "realistic":
        return realistic_page(seed, feed, item)
    raise ValueError(f"page kind must be one of {KINDS}, not {kind!r}")


def feed_document(base: str, seed: int, feed: int, items: int) -> str:
    """An RSS 2.0 feed as news sites publish them: title, link, guid, date, author,
    categories, an HTML description and a media thumbnail per item."""
    entries = []
    for item in range(items):
        s = story(seed, feed, item)
        rng = _rng(seed, feed, item + 2 * 10**6)
        categories = "".join(f"<category>{w.title()}</category>" for w in rng.sample(WORDS, 3))
        entries.append(
            f"<item><title>{s.title}</title><link>{base}/f{feed}/{item}.html</link>"
            f'<guid isPermaLink="false">f{feed}-{item}</guid><pubDate>{s.day:02d} Mar 2026 08:00:00 GMT</pubDate>'
            f"<dc:creator>{s.author}</dc:creator>{categories}"
            f"<description><![CDATA[<p>{s.summary}</p>]]></description>"
            f'<media:thumbnail url="{base}/img/{rng.randrange(10**8)}.jpg" width="140" height="84"/></item>')
    return ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:media="http://search.yahoo.com/mrss/" xmlns:atom="http://www.w3.org/2005/Atom"><channel>'
            f"<title>Gazette {feed}</title><link>{base}/</link><description>News from Gazette {feed}</description>"
            f"<language>en-gb</language>{''.join(entries)}</channel></rss>")
