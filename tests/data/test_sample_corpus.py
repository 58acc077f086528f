import json

from nemo_repro.data.sample_corpus import TOPICS, generate_corpus, generate_document, write_corpus


def test_deterministic_and_independent_of_count():
    a = list(generate_corpus(30, seed=3))
    b = list(generate_corpus(50, seed=3))
    assert a == b[:30]
    assert generate_document(7, seed=3) == a[7]
    assert generate_document(7, seed=4)["text"] != a[7]["text"]


def test_boilerplate_surrounds_the_article():
    docs = list(generate_corpus(80))
    markers = {
        "cookie": "cookie",
        "share": "share",
        "footer": "all rights reserved",
        "related links": "related posts:",
        "navigation": " | ",
    }
    for name, marker in markers.items():
        hits = sum(marker in d["text"].lower() for d in docs)
        assert hits >= 20, f"{name} boilerplate in only {hits} of 80 docs"
    for d in docs:
        assert d["clean_text"] in d["text"] or all(part in d["text"] for part in d["clean_text"].split("\n\n"))
        assert len(d["text"]) > len(d["clean_text"])
        assert "all rights reserved" not in d["clean_text"].lower()
        assert "cookie" not in d["clean_text"].lower()


def test_structures_present():
    docs = list(generate_corpus(80))
    bodies = [d["clean_text"] for d in docs]
    assert sum("```" in b for b in bodies) >= 5
    assert sum("|---|" in b for b in bodies) >= 5
    assert sum("\n- " in b for b in bodies) >= 5
    assert sum("\n1. " in b for b in bodies) >= 5
    assert all(b.startswith("# ") for b in bodies)
    assert {d["topic"] for d in docs} == {t.name for t in TOPICS}


def test_sizes_span_segmenting_threshold():
    lengths = [len(d["text"]) for d in generate_corpus(200)]
    assert min(lengths) > 500
    assert sum(n > 7000 for n in lengths) >= 5, "some pages must exceed one 7,000-char segment"
    assert sum(n < 7000 for n in lengths) >= 150


def test_write_corpus_jsonl(tmp_path):
    path = write_corpus(tmp_path / "c.jsonl", n_docs=12, seed=1)
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(rows) == 12
    assert len({r["id"] for r in rows}) == 12
    assert all(set(r) >= {"id", "text", "clean_text", "url", "source"} for r in rows)
    assert not list(tmp_path.glob("*.tmp"))


def test_short_documents_are_the_shortest_pages_in_index_order(tmp_path):
    from nemo_repro.data.sample_corpus import short_documents, write_documents

    pool = list(generate_corpus(40, seed=2))
    short = short_documents(10, seed=2, pool_factor=4)
    assert len(short) == 10 and [d["id"] for d in short] == sorted(d["id"] for d in short)
    longest_kept = max(len(d["text"]) for d in short)
    assert sum(len(d["text"]) < longest_kept for d in pool) <= 9, "no shorter page of the pool was left out"
    path = write_documents(tmp_path / "c.jsonl", short)
    assert [json.loads(line) for line in path.read_text().splitlines()] == short
