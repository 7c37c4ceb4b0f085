from knowledge.answers.citations import check_citations, cited_numbers
from knowledge.models import Source


def sources(*urls: str) -> list[Source]:
    return [
        Source(doc_id=u, title=f"Page {i}", url=u, text="", score=1.0)
        for i, u in enumerate(urls, start=1)
    ]


def test_unknown_numbers_are_removed_and_the_rest_renumbered_by_first_use():
    checked = check_citations(
        "Upgrades apply at once [3]. Refunds take 5 days [1][7]. Also [0] and [3, 9].",
        sources("https://h/a", "https://h/b", "https://h/c"),
    )
    assert checked.text == "Upgrades apply at once [1]. Refunds take 5 days [2]. Also and [1]."
    assert [(c.number, c.title) for c in checked.citations] == [(1, "Page 3"), (2, "Page 1")]


def test_two_sections_of_one_page_are_listed_once():
    checked = check_citations("A [1]. B [2].", sources("https://h/a#one", "https://h/a#two"))
    assert checked.text == "A [1]. B [1]."
    assert [c.url for c in checked.citations] == ["https://h/a#one"]


def test_an_answer_without_markers_cites_nothing():
    checked = check_citations("Just words.", sources("https://h/a"))
    assert checked.citations == []
    assert checked.text == "Just words."


def test_marker_lists_are_parsed():
    assert cited_numbers("x [1, 2] y [3;4] z [5]") == [1, 2, 3, 4, 5]
