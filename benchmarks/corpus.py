"""A deterministic synthetic archive in the documented content format, for benchmarks and tests.

Every brief it writes is fake and says so in its title ("[Synthetic]"); it is written to a folder
you name (a temporary one by default), never into content/.

    python -m benchmarks.corpus OUT_DIR --briefs 10000
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

import pycountry

CATEGORIES = ("aircraft", "air-defence", "anti-submarine", "armoured-vehicles", "artillery", "engines",
              "missiles", "naval-weapons", "satellites", "sensors", "ships", "other")
STATUSES = ("reported", "negotiating", "ordered", "delivering", "delivered", "cancelled")
WORDS = ("synthetic", "contract", "delivery", "ministry", "officials", "reported", "systems", "batch", "training",
         "support", "agreement", "negotiations", "defence", "export", "licence", "programme", "upgrade", "navy",
         "army", "air", "force", "order", "value", "estimate", "sources", "disagree", "confirmed", "denied",
         "second", "first", "delayed", "completed", "financing", "offset", "local", "assembly", "spare", "parts")
PARTY_COUNT = 65
SYSTEM_COUNT = 300


def parties(rng: random.Random) -> list[str]:
    codes = sorted(country.alpha_3 for country in pycountry.countries)
    return rng.sample(codes, PARTY_COUNT)


def sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def paragraph(rng: random.Random, sentences: int) -> str:
    return " ".join(sentence(rng, rng.randint(8, 18)) for _ in range(sentences))


def date(rng: random.Random, year: int, precision: str | None = None) -> str:
    precision = precision or rng.choice(("year", "month", "day"))
    if precision == "year":
        return str(year)
    if precision == "month":
        return f"{year}-{rng.randint(1, 12):02d}"
    return f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"


def source_block(rng: random.Random, number: int, year: int) -> str:
    return (f"  - id: s{number}\n    kind: {rng.choice(('news', 'official', 'database', 'report'))}\n"
            f"    title: Synthetic source {number} on a fictional transfer\n"
            f"    publisher: Synthetic Publisher {rng.randint(1, 40)}\n"
            f"    via: Synthetic Wire {rng.randint(1, 5)}\n"
            f"    published: {date(rng, year + rng.randint(0, 2))}\n"
            f"    url: https://example.invalid/synthetic/{number}/{rng.randint(1, 10**6)}\n"
            f"    language: en\n")


def brief(rng: random.Random, index: int, codes: list[str], systems: list[str], total: int) -> str:
    year = rng.randint(1990, 2024)
    supplier, recipient = rng.sample(codes, 2)
    count = rng.randint(3, 7)
    ids = [f"s{n}" for n in range(1, count + 1)]
    pick = lambda: ", ".join(rng.sample(ids, rng.randint(1, 2)))
    quantity = rng.randint(1, 400)
    deliveries = "".join(
        f"  - quantity: {max(1, quantity // 3)}\n    date: {date(rng, year + n + 1, 'year')}\n    estimate: {str(rng.random() < 0.3).lower()}\n    sources: [{pick()}]\n"
        for n in range(rng.randint(1, 3)))
    timeline = "".join(f"  - date: {date(rng, year + n)}\n    event: {sentence(rng, 12)}\n    sources: [{pick()}]\n"
                       for n in range(rng.randint(2, 5)))
    quotes = "".join(
        f"  - text: {sentence(rng, 16)}\n    speaker: Synthetic Speaker {rng.randint(1, 500)}\n"
        f"    role: Fictional official\n    date: {date(rng, year)}\n    sources: [{pick()}]\n"
        for _ in range(rng.randint(1, 3)))
    related = sorted({f"synthetic-{rng.randint(0, total - 1):05d}" for _ in range(rng.randint(0, 2))} - {f"synthetic-{index:05d}"})
    body = "\n\n".join(paragraph(rng, rng.randint(3, 6)) for _ in range(4))
    return f"""---
title: "[Synthetic] Brief {index}: {supplier} to {recipient}"
summary: {sentence(rng, 24)}
supplier: {supplier}
recipient: {recipient}
system: {rng.choice(systems)}
status: {rng.choice(STATUSES)}
status_as_of: {date(rng, year + 2)}
ordered:
  quantity: {quantity}
  date: {date(rng, year, 'year')}
  sources: [{pick()}]
  alternatives:
    - quantity: {quantity + rng.randint(1, 20)}
      sources: [{pick()}]
      note: {sentence(rng, 8)}
deliveries:
{deliveries}value:
  amount: {rng.randint(1, 5000) * 1_000_000}
  currency: USD
  scope: {sentence(rng, 5)}
  sources: [{pick()}]
  alternatives:
    - amount: {rng.randint(1, 5000) * 1_000_000}
      currency: USD
      sources: [{pick()}]
condition: {rng.choice(('new', 'second-hand', 'second-hand-modernised'))}
deal_type: {rng.choice(('sale', 'aid', 'licence', 'lease'))}
sipri_id: {100000 + index}
timeline:
{timeline}quotes:
{quotes}sources:
{''.join(source_block(rng, n, year) for n in range(1, count + 1))}tags: [synthetic, {rng.choice(WORDS)}]
related: [{', '.join(related)}]
published: 2025-01-01
---
{body}

## What the sources disagree on

- {sentence(rng, 14)}
- {sentence(rng, 14)}
"""


def system(rng: random.Random, index: int, codes: list[str]) -> str:
    return (f"name: Synthetic System {index}\naliases: [SYN-{index}]\ncategory: {CATEGORIES[index % len(CATEGORIES)]}\n"
            f"origin: {rng.choice(codes)}\nmanufacturer: Synthetic Works {index % 50}\n"
            f"description: {paragraph(rng, 2)}\n"
            f"specs:\n  - label: Range\n    value: {rng.randint(5, 400)} km\n    sources: [spec]\n"
            f"sources:\n  - id: spec\n    title: Synthetic data sheet {index}\n")


def write_corpus(out: Path, briefs: int, seed: int = 1) -> Path:
    """Write a synthetic content/ folder of `briefs` briefs under `out`; return its path."""
    rng = random.Random(seed)
    content = out / "content"
    for folder in ("deals", "systems", "countries"):
        (content / folder).mkdir(parents=True, exist_ok=True)
    (content / "site.yaml").write_text("title: Synthetic Archive\ndescription: A synthetic benchmark archive; nothing in it is real.\n"
                                       "base_url: https://synthetic.example.invalid/\nlanguage: en\n", encoding="utf-8")
    codes = parties(rng)
    slugs = [f"synthetic-system-{n:03d}" for n in range(SYSTEM_COUNT)]
    for index, slug in enumerate(slugs):
        (content / "systems" / f"{slug}.yaml").write_text(system(rng, index, codes), encoding="utf-8")
    for index in range(briefs):
        (content / "deals" / f"synthetic-{index:05d}.md").write_text(brief(rng, index, codes, slugs, briefs), encoding="utf-8")
    return content


def main() -> None:
    parser = argparse.ArgumentParser(description="Write a synthetic archive for benchmarks.")
    parser.add_argument("out", type=Path, help="folder to write content/ into")
    parser.add_argument("--briefs", type=int, default=1000, help="number of briefs (default 1000)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    args = parser.parse_args()
    print(write_corpus(args.out, args.briefs, args.seed))


if __name__ == "__main__":
    main()
