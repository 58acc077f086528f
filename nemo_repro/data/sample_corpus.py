"""The embedded sample corpus: deterministic web-like pages, generated here.

Each page is an article (paragraphs, and by topic a list, a table or a code
block) wrapped in the boilerplate real crawls carry: navigation bars, cookie
banners, share buttons, related-link lists, newsletter boxes and footers. The
article body alone is kept as `clean_text`, so recyclers can be judged against
it. All text comes from the templates below; nothing is downloaded.
"""

from __future__ import annotations

import json
import os
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

SOURCE = "nemo_repro-sample"


@dataclass(frozen=True)
class Topic:
    name: str
    site: str
    things: tuple[str, ...]
    actions: tuple[str, ...]
    qualities: tuple[str, ...]
    people: tuple[str, ...]
    kind: str  # "list" | "table" | "code" | "steps": the structure its articles carry


TOPICS: tuple[Topic, ...] = (
    Topic("gardening", "GreenPatch Journal", ("tomato seedlings", "raised beds", "compost heaps", "clay soil", "drip lines", "mulch", "pollinators", "heirloom beans"),
          ("water", "prune", "transplant", "feed", "shade", "rotate"), ("hardy", "shallow-rooted", "drought-tolerant", "fast-growing", "nitrogen-hungry"),
          ("new growers", "allotment holders", "balcony gardeners"), "steps"),
    Topic("astronomy", "Night Sky Notes", ("binary stars", "the lunar terminator", "Jupiter's moons", "meteor showers", "refracting telescopes", "dark-sky sites", "variable stars"),
          ("observe", "track", "photograph", "log", "align", "calibrate"), ("faint", "bright", "low-contrast", "fast-moving", "well-placed"),
          ("backyard observers", "club members", "first-time stargazers"), "table"),
    Topic("cooking", "The Weeknight Kitchen", ("sourdough starters", "cast-iron pans", "braised lentils", "stock", "fresh pasta", "pickled onions", "spice blends"),
          ("simmer", "knead", "season", "rest", "toast", "reduce"), ("crisp", "tangy", "silky", "rich", "well-balanced"),
          ("home cooks", "busy parents", "students on a budget"), "list"),
    Topic("programming", "DevLog Weekly", ("unit tests", "hash maps", "database indexes", "retry loops", "log files", "configuration files", "type hints"),
          ("refactor", "profile", "cache", "validate", "serialize", "benchmark"), ("idempotent", "thread-safe", "readable", "slow", "well-tested"),
          ("backend engineers", "new contributors", "code reviewers"), "code"),
    Topic("local history", "Riverside Heritage Society", ("the old mill", "parish records", "the canal locks", "market charters", "census returns", "the railway station"),
          ("restore", "catalogue", "excavate", "transcribe", "date", "survey"), ("well-preserved", "long-forgotten", "contested", "rebuilt", "listed"),
          ("volunteers", "local historians", "family researchers"), "table"),
    Topic("personal finance", "Plain Money Guide", ("emergency funds", "index funds", "credit card balances", "pension contributions", "monthly budgets", "interest rates"),
          ("track", "reduce", "automate", "compare", "rebalance", "review"), ("low-cost", "high-interest", "tax-efficient", "predictable", "volatile"),
          ("first-time savers", "freelancers", "young families"), "list"),
    Topic("cycling", "Spoke & Chain", ("chain wear", "tyre pressure", "disc brakes", "gear cables", "saddle height", "winter routes", "bike lights"),
          ("adjust", "lubricate", "inspect", "replace", "tighten", "clean"), ("worn", "squeaky", "reliable", "lightweight", "weatherproof"),
          ("commuters", "touring riders", "weekend cyclists"), "steps"),
    Topic("birdwatching", "Feathered Field Notes", ("wading birds", "song thrushes", "migration routes", "nest boxes", "field guides", "estuary mudflats"),
          ("identify", "record", "count", "listen for", "photograph", "attract"), ("secretive", "migratory", "common", "declining", "vocal"),
          ("beginners", "survey volunteers", "families"), "list"),
)

NAV_ITEMS = ("Home", "About", "Blog", "Archive", "Shop", "Contact", "Newsletter", "Events", "Forum", "Login", "Subscribe", "Search")
COOKIE_BANNERS = (
    "We use cookies to improve your experience on our site. By continuing to browse you agree to our use of cookies. Accept all | Manage preferences",
    "This website uses cookies and similar technologies for analytics and personalised ads. [Accept] [Reject] [Settings]",
    "Cookie notice: we and our partners store information on your device. Click OK to consent. OK | Learn more",
)
SHARE_LINES = ("Share this: Facebook | Twitter | Pinterest | Email | Print", "SHARE  TWEET  PIN  EMAIL", "Share on Facebook · Share on X · Copy link", "Like this? Share it with a friend!")
NEWSLETTER = (
    "Sign up for our newsletter! Get the latest posts delivered straight to your inbox. Enter your email address: [ Subscribe ]",
    "Don't miss out - join 12,000 readers and get our weekly digest. No spam, unsubscribe anytime.",
)
ADS = ("Advertisement", "SPONSORED: Save 20% on your first order with code WELCOME20", "Ad - Continue reading below", "Recommended for you: Top 10 deals this week")
FOOTER_LINES = ("Privacy Policy | Terms of Use | Cookie Policy | Accessibility | Sitemap", "Follow us on Facebook, Instagram and YouTube", "Powered by WordPress | Theme by Studio Nine", "Back to top ^")

OPENERS = (
    "Many {people} ask how to {action} {thing} without spending a fortune.",
    "If you have ever wondered why {thing} behave the way they do, you are not alone.",
    "This guide explains how {people} can {action} {thing} with a few simple habits.",
    "Over the last few seasons we have learned a lot about {thing} and {thing2}.",
)
SENTENCES = (
    "The key point is that {thing} are {quality} when you {action} them regularly.",
    "Most {people} find that it helps to {action} {thing} early in the week.",
    "A common mistake is to ignore {thing2}, which makes {thing} far less {quality}.",
    "In our experience, {thing} respond best when you {action} them in small steps.",
    "Experts recommend that you {action} {thing2} before you {action2} {thing}.",
    "There is no single right answer, but {quality} {thing} usually need less attention.",
    "You can {action} {thing} in about twenty minutes once you know the routine.",
    "Keep a simple notebook: write down when you {action} {thing} and what happened.",
    "The difference between {quality} and {quality2} {thing} is easy to see after a month.",
    "If something goes wrong, check {thing2} first, because it is the usual cause.",
    "Patience matters more than equipment when you {action} {thing}.",
    "Several {people} told us that they now {action} {thing2} every few days.",
)
CLOSERS = (
    "With a little practice, {people} can {action} {thing} with confidence.",
    "Start small, keep notes, and you will see results within a few weeks.",
    "We will return to {thing2} in a future article.",
)
CODE_SNIPPETS = (  # (fence language, code)
    ("python", "def retry(func, attempts=3):\n    for i in range(attempts):\n        try:\n            return func()\n        except IOError:\n            if i == attempts - 1:\n                raise"),
    ("python", "import json\n\nwith open(\"settings.json\") as f:\n    settings = json.load(f)\nprint(settings.get(\"timeout\", 30))"),
    ("sql", "CREATE INDEX idx_orders_customer ON orders (customer_id);\nSELECT count(*) FROM orders WHERE customer_id = 42;"),
)


def _fill(template: str, topic: Topic, rng: random.Random) -> str:
    thing, thing2 = rng.sample(topic.things, 2)
    action, action2 = rng.sample(topic.actions, 2)
    quality, quality2 = rng.sample(topic.qualities, 2)
    text = template.format(
        thing=thing, thing2=thing2, action=action, action2=action2, quality=quality, quality2=quality2, people=rng.choice(topic.people)
    )
    return text[0].upper() + text[1:]


def _paragraph(topic: Topic, rng: random.Random, n: int) -> str:
    return " ".join(_fill(rng.choice(SENTENCES), topic, rng) for _ in range(n))


def _structure(topic: Topic, rng: random.Random) -> str:
    """The structured block an article of this topic carries."""
    if topic.kind == "list":
        items = [f"- {_fill(rng.choice(SENTENCES), topic, rng)}" for _ in range(rng.randint(3, 5))]
        return "Quick tips:\n" + "\n".join(items)
    if topic.kind == "steps":
        items = [f"{i}. {rng.choice(topic.actions).capitalize()} the {rng.choice(topic.things)} and check the result." for i in range(1, rng.randint(4, 6))]
        return "Step by step:\n" + "\n".join(items)
    if topic.kind == "table":
        rows = [f"| {t} | {rng.choice(topic.qualities)} | {rng.randint(1, 12)} |" for t in rng.sample(topic.things, 3)]
        return "| Item | Character | Rating |\n|---|---|---|\n" + "\n".join(rows)
    lang, code = rng.choice(CODE_SNIPPETS)
    return f"Here is a small example:\n```{lang}\n{code}\n```"


def _article(topic: Topic, rng: random.Random, size: str) -> tuple[str, str]:
    """(title, body) of one article; `size` picks short, medium or long."""
    title = _fill(rng.choice(("How to {action} {thing}", "{quality} {thing}: what {people} should know", "A beginner's guide to {thing}")), topic, rng)
    n_paragraphs = {"short": 2, "medium": rng.randint(3, 6), "long": rng.randint(28, 40)}[size]
    parts = [f"# {title}", _fill(rng.choice(OPENERS), topic, rng) + " " + _paragraph(topic, rng, rng.randint(2, 4))]
    structure_at = rng.randint(1, n_paragraphs)
    for i in range(1, n_paragraphs + 1):
        if i == structure_at:
            parts.append(_structure(topic, rng))
        if size == "long" and i % 8 == 0:
            parts.append(f"## {_fill('More on {thing}', topic, rng)}")
        parts.append(_paragraph(topic, rng, rng.randint(2, 5)))
    parts.append(_fill(rng.choice(CLOSERS), topic, rng))
    return title, "\n\n".join(parts)


def _boilerplate_header(topic: Topic, rng: random.Random) -> list[str]:
    nav = " | ".join(rng.sample(NAV_ITEMS, rng.randint(4, 7)))
    lines = [f"{topic.site}", nav]
    if rng.random() < 0.7:
        lines.insert(0, rng.choice(COOKIE_BANNERS))
    if rng.random() < 0.4:
        lines.append(f"You are here: Home > {topic.name.title()} > Articles")
    return lines


def _boilerplate_footer(topic: Topic, rng: random.Random, year: int) -> list[str]:
    lines = []
    if rng.random() < 0.8:
        lines.append(rng.choice(SHARE_LINES))
    if rng.random() < 0.7:
        related = [f"- {_fill(rng.choice(('10 ways to {action} {thing}', 'Why {thing} matter', 'Our favourite {quality} {thing}')), topic, rng)}" for _ in range(3)]
        lines.append("Related posts:\n" + "\n".join(related))
    if rng.random() < 0.5:
        lines.append(rng.choice(NEWSLETTER))
    lines.append(f"Tags: {', '.join(rng.sample(topic.things, 3))}")
    lines.append(f"© {year} {topic.site}. All rights reserved.")
    lines.extend(rng.sample(FOOTER_LINES, rng.randint(1, 3)))
    return lines


def generate_document(index: int, seed: int = 0) -> dict:
    """Document number `index` of the corpus for `seed`: the same inputs always give the same page."""
    rng = random.Random(f"{seed}:{index}")
    topic = TOPICS[index % len(TOPICS)]
    size = rng.choices(("short", "medium", "long"), weights=(2, 7, 1))[0]
    title, body = _article(topic, rng, size)
    year = rng.randint(2016, 2025)
    byline = f"By {rng.choice(('Sam', 'Alex', 'Jo', 'Priya', 'Tomasz', 'Mei'))} {rng.choice(('Hart', 'Okafor', 'Lind', 'Rossi', 'Nakamura'))} | {rng.randint(1, 28)} {rng.choice(('March', 'June', 'October'))} {year} | {rng.randint(2, 14)} min read"
    body_parts = body.split("\n\n")
    if rng.random() < 0.5 and len(body_parts) > 2:  # an ad breaks the article mid-way, as on real pages
        body_parts.insert(rng.randint(2, len(body_parts) - 1), rng.choice(ADS))
    page = _boilerplate_header(topic, rng) + [byline] + body_parts + _boilerplate_footer(topic, rng, year)
    slug = "-".join(title.lower().split()[:6]).strip(":'")
    return {
        "id": f"sample-{seed}-{index:05d}",
        "text": "\n\n".join(page),
        "clean_text": body,
        "url": f"https://{topic.site.lower().replace(' ', '').replace('&', 'and')}.example/{topic.name.replace(' ', '-')}/{slug}",
        "topic": topic.name,
        "source": SOURCE,
    }


def generate_corpus(n_docs: int = 200, seed: int = 0) -> Iterator[dict]:
    """Yield `n_docs` documents; document i is independent of `n_docs`."""
    for i in range(n_docs):
        yield generate_document(i, seed)


def short_documents(n_docs: int, seed: int = 0, pool_factor: int = 4) -> list[dict]:
    """The `n_docs` shortest pages (by page text) among the first `pool_factor * n_docs`, in index order.

    A tiny rephraser on CPU can hold a whole short article in its prompt and its answer."""
    pool = list(generate_corpus(n_docs * pool_factor, seed))
    keep = sorted(sorted(range(len(pool)), key=lambda i: len(pool[i]["text"]))[:n_docs])
    return [pool[i] for i in keep]


def write_documents(path: str | Path, docs: Iterable[dict]) -> Path:
    """Write documents as jsonl (temp name, then rename) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    with tmp.open("w", encoding="utf-8") as f:
        for doc in docs:
            f.write(json.dumps(doc, ensure_ascii=False) + "\n")
    tmp.replace(path)
    return path


def write_corpus(path: str | Path, n_docs: int = 200, seed: int = 0) -> Path:
    """Write the corpus as jsonl (temp name, then rename) and return the path."""
    return write_documents(path, generate_corpus(n_docs, seed))
