"""The corpus itself: every case loads, has a public source and sits in the folder of its kind."""

from __future__ import annotations

import pytest

from tests.conformance import corpus


def test_every_case_loads_with_a_public_source() -> None:
    cases = corpus.load("singlestore")
    names = [c.name for c in cases]
    assert len(names) == len(set(names))
    for case in cases:
        assert case.citation  # url + version, or repository + path


@pytest.mark.parametrize("source, message", [
    ({"url": "https://docs.singlestore.com/db/v9.1/x/", "version": "9.0", "section": "Example"}, "must be '9.1'"),
    ({"url": "https://docs.singlestore.com/cloud/x/", "version": "9.1", "section": "Example"}, "must be 'cloud'"),
    ({"url": "https://example.com/x", "version": "9.1", "section": "Example"}, "docs.singlestore.com"),
    ({"repository": "owner/name", "section": "Example"}, "repository"),
    ({"url": "https://docs.singlestore.com/db/v8.9/x/", "version": "8.9"}, "section"),
    ({"path": "reference/singlestore.md", "section": "x"}, "either url"),
])
def test_a_source_that_names_no_public_page_is_refused(tmp_path, monkeypatch, source, message) -> None:
    folder = tmp_path / "singlestore" / "show_grants"
    folder.mkdir(parents=True)
    case = folder / "c.yml"
    case.write_text(__import__("yaml").safe_dump({"kind": "show_grants", "title": "t", "output": ["GRANT USAGE ON *.* TO 'u'@'%'"],
                                                  "source": source}))
    monkeypatch.setattr(corpus, "ROOT", tmp_path)
    with pytest.raises(corpus.CorpusError, match=message):
        corpus.load_case(case)
