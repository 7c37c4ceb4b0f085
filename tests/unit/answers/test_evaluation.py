import pytest

from knowledge.answers.evaluation import (
    EvalQuestion,
    cited_sources,
    evaluate_answers,
    evaluate_declines,
    evaluate_retrieval,
    first_hit,
    grounding_figures,
    load_questions,
    matches,
    score,
    strictest_threshold,
)
from knowledge.models import (
    Answer,
    Citation,
    Evidence,
    Grounding,
    ModelInfo,
    RemovedSentence,
    Source,
    Timings,
)


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


def evidence(similarity: float) -> Evidence:
    return Evidence(similarity=similarity, coverage=similarity, known=1.0)


def test_each_signal_is_shown_at_its_strictest_threshold_within_five_percent_wrong():
    answerable = [evidence(0.3 + i / 100) for i in range(40)]  # 0.30 .. 0.69
    out_of_scope = [evidence(0.1), evidence(0.2), evidence(0.32), evidence(0.5)]
    assert strictest_threshold([e.similarity for e in answerable], 0.05) == pytest.approx(0.32)
    rows = {row.signal: row for row in evaluate_declines(answerable, out_of_scope, 0.0)}
    similarity = rows["similarity"]
    assert similarity.wrongly_declined == 0.05 and similarity.declined == 0.5
    assert 0.5 < similarity.auc < 1.0
    configured = rows["answerability (configured)"]
    assert configured.threshold == 0.0 and configured.declined == 0.0


def answer(declined: bool, cited: str = "", similarity: float = 0.5) -> Answer:
    retrieved = [source("a.md", "https://h/a"), source("b.md", "https://h/b")]
    citations = [Citation(number=1, title="t", url=f"{cited}#part")] if cited else []
    return Answer(
        question="q", standalone_question="q", text="t", confidence="high", declined=declined,
        citations=citations, retrieved=retrieved, model=ModelInfo(backend="extractive"),
        evidence=evidence(similarity), timings=Timings(total_ms=10.0),
    )  # fmt: skip


def test_answer_figures_count_the_bots_declines_and_right_citations():
    answerable = [
        (answer(False, "https://h/a"), ["a.md"]),  # cites the gold page (a section of it)
        (answer(False, "https://h/b"), ["a.md"]),  # cites another page
        (answer(True), ["a.md"]),  # wrongly declined
    ]
    outside = [answer(True, similarity=0.1), answer(False, "https://h/b", similarity=0.2)]
    figures = evaluate_answers(answerable, outside, 0.3)
    assert (figures.answerable, figures.out_of_scope) == (3, 2)
    assert figures.declined == 0.5 and figures.wrongly_declined == pytest.approx(1 / 3)
    assert figures.cited_right_page == 0.5
    assert [s.url for s in cited_sources(answerable[0][0])] == ["https://h/a"]
    assert figures.signals[-1].signal == "answerability (configured)"


def test_pages_without_a_url_are_told_apart_by_their_titles():
    first = Source(doc_id="docs/a.md", title="Refunds", url="", text="", score=1.0, path="a.md")
    other = first.model_copy(update={"doc_id": "docs/b.md", "title": "Sync", "path": "b.md"})
    given = answer(False).model_copy(
        update={
            "retrieved": [first, other],
            "citations": [Citation(number=1, title="Sync", url="")],
        }
    )
    assert cited_sources(given) == [other]


def test_grounding_figures_count_what_the_check_did_to_posted_answers():
    loop = RemovedSentence(sentence="s", why="repeated")
    invented = RemovedSentence(sentence="s", why="not in source [2]")
    kept = answer(False, "https://h/a").model_copy(
        update={"grounding": Grounding(sentences=5, removed=[loop, loop, invented], recited=1)}
    )
    quoted = answer(False, "https://h/b").model_copy(
        update={"grounding": Grounding(sentences=2, quoted_because="nothing supported")}
    )
    figures = grounding_figures([kept, quoted, answer(True), answer(False)])
    assert figures["posted"] == 3 and figures["posted_cited"] == 2
    assert (figures["sentences_written"], figures["sentences_removed"]) == (7, 3)
    assert figures["removed_why"] == {"repeated": 2, "not in source": 1}
    assert figures["quoted_instead"] == 1 and figures["sentences_recited"] == 1


def test_retrieval_figures_are_also_given_per_question_kind():
    questions = [
        EvalQuestion(question="q1", source=["a.md"], kind="single"),
        EvalQuestion(question="q2", source=["b.md"], kind="single"),
        EvalQuestion(question="q3", source=["c.md"], kind="numeric"),
        EvalQuestion(question="q4", source=["a.md"]),  # no kind: counted overall only
    ]
    pages = {"q1": ["a.md"], "q2": ["a.md", "b.md"], "q3": ["c.md"], "q4": ["x.md"]}
    (result,) = evaluate_retrieval(
        lambda q, mode: [source(p) for p in pages[q]], questions, ["hybrid"]
    )
    assert result.questions == 4 and result.hit_at_1 == 0.5
    assert set(result.by_kind) == {"single", "numeric"}
    assert result.by_kind["single"].hit_at_1 == 0.5 and result.by_kind["single"].mrr == 0.75
    assert result.by_kind["numeric"].questions == 1 and result.by_kind["numeric"].hit_at_1 == 1.0
