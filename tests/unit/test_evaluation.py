import pytest

from knowledge.evaluation import first_hit, load_questions, matches, score
from knowledge.models import Source


def source(path: str, url: str = "https://help.example/x") -> Source:
    return Source(doc_id=f"docs/{path}", title="t", url=url, text="", score=1.0, path=path)


def test_gold_matches_by_path_suffix_file_name_or_url():
    page = source(
        "Licenses and payment/Refund policy.md", url="https://help.example/refunds#yearly"
    )
    assert matches(page, "docs/Licenses and payment/Refund policy.md")
    assert matches(page, "Refund policy.md")
    assert matches(page, "https://help.example/refunds")
    assert not matches(page, "policy.md")
    assert not matches(page, "Other/Refund policy.md")
    assert not matches(page, "")


def test_first_hit_and_scores():
    ranked = [source("a.md"), source("b.md"), source("c.md")]
    assert first_hit(ranked, ["c.md", "b.md"]) == 2
    assert first_hit(ranked, ["z.md"]) is None
    result = score("hybrid", [1, 2, None, 6], [10.0, 20.0, 30.0, 40.0])
    assert result.hit_at_1 == 0.25
    assert result.hit_at_5 == 0.5
    assert result.mrr == pytest.approx((1 + 0.5 + 1 / 6) / 4)
    assert result.p50_ms == 25.0


def test_a_bad_question_line_names_its_line(tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_text('{"question": "ok", "source": ["a.md"]}\n\nnot json\n')
    with pytest.raises(ValueError, match=r"q.jsonl:3"):
        load_questions(path)
