"""The feedback store on SQLite and on PostgreSQL (localhost, a fresh database per test): the
migrations, and writes that stay right when events repeat, race or arrive out of order."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, inspect, select

from knowledge.records.store import Handoff, Posted, Records, Reply
from knowledge.records.tables import AskedQuestion, Correction, StoredAnswer, Vote
from tests.support.answers import answered, asked
from tests.support.databases import fresh_postgres, postgres_ready

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'feedback.sqlite'}"
        return
    if not postgres_ready():
        pytest.fail("PostgreSQL is not reachable on 127.0.0.1:5432 (.ci/run starts it)")
    with fresh_postgres("feedback") as database:
        yield database


@pytest.fixture
def store(url) -> Iterator[Records]:
    opened = Records(url)
    yield opened
    opened.close()


def post(store: Records, event_id: str, ref: str, place: str = "C1/1.0") -> None:
    assert store.record_answer(asked(event_id), answered(), Posted(ref, place))


def votes(store: Records) -> dict[str, int]:
    with store.session() as session:
        return {v.user: v.value for v in session.scalars(select(Vote))}


def test_opening_migrates_once_to_the_latest_schema(url):
    Records(url).close()
    Records(url).close()  # a second open finds the schema current
    tables = set(inspect(create_engine(url)).get_table_names())
    assert {"questions", "answers", "votes", "corrections", "alembic_version"} <= tables


def test_threads_opening_a_new_store_at_once_all_get_it(url):
    """A thread-pool worker's first feedback tasks open the store together (found by the
    feedback benchmark: Alembic's context is process-global)."""
    pool = ThreadPoolExecutor(max_workers=8)
    futures = [pool.submit(Records, url) for _ in range(8)]
    done, waiting = wait(futures, timeout=60)  # a deadlock must fail the test, not hang it
    pool.shutdown(wait=False)
    assert not waiting, "opening the store deadlocked"
    for future in done:
        future.result().close()
    assert "votes" in inspect(create_engine(url)).get_table_names()


def test_processes_starting_together_on_a_new_database_all_open_it(url):
    """Several workers started at once against a fresh database: one migrates, the rest wait."""
    code = "import sys; from knowledge.records.store import Records; Records(sys.argv[1])"
    starts = [subprocess.Popen([sys.executable, "-c", code, url], stderr=subprocess.PIPE)
              for _ in range(4)]  # fmt: skip
    results = [(p.wait(timeout=120), p.stderr.read().decode() if p.stderr else "") for p in starts]
    assert [code for code, _ in results] == [0] * 4, [err[-800:] for _, err in results]


def test_an_answer_is_stored_once_with_what_it_was_grounded_on(store):
    post(store, "Ev1", "C1/2.0")
    assert not store.record_answer(asked("Ev1"), answered(), Posted("C1/2.0", "C1/1.0"))
    with store.session() as session:
        (answer,) = session.scalars(select(StoredAnswer))
        assert answer.question.text == "can i get a refund on a yearly plan?"
        assert answer.retrieved[0]["url"] == "https://help.example/refunds"
        assert (answer.adapter_repo, answer.adapter_revision) == ("org/voice", "r1")


def test_one_vote_per_person_replaced_and_taken_back(store):
    post(store, "Ev1", "C1/2.0")
    assert store.vote("slack", "C1/2.0", "U7", 1, T0)
    assert store.vote("slack", "C1/2.0", "U8", 1, T0)
    assert store.vote("slack", "C1/2.0", "U7", -1, T0 + timedelta(seconds=1))  # replaces
    assert votes(store) == {"U7": -1, "U8": 1}
    # U8 takes back a 👎 they never gave: their 👍 stands
    assert store.vote("slack", "C1/2.0", "U8", -1, T0 + timedelta(seconds=2), removed=True) is False
    assert store.vote("slack", "C1/2.0", "U7", -1, T0 + timedelta(seconds=3), removed=True)
    assert votes(store) == {"U7": 0, "U8": 1}


def test_reactions_handled_out_of_order_end_with_the_latest(store):
    post(store, "Ev1", "C1/2.0")
    # 👍 at t0, then removed at t1 -- but the removal is handled first
    assert store.vote("slack", "C1/2.0", "U7", 1, T0 + timedelta(seconds=1), removed=True)
    assert store.vote("slack", "C1/2.0", "U7", 1, T0) is False
    assert votes(store) == {"U7": 0}


def test_reactions_on_other_messages_are_not_ours(store):
    post(store, "Ev1", "C1/2.0")
    assert store.vote("slack", "C1/9.9", "U7", 1, T0) is None
    assert store.vote("discord", "C1/2.0", "U7", 1, T0) is None  # same id, other platform
    assert votes(store) == {}


def test_racing_first_votes_leave_one_row_per_person(store):
    post(store, "Ev1", "C1/2.0")

    def react(i: int) -> bool | None:
        return store.vote("slack", "C1/2.0", f"U{i % 4}", 1 if i % 2 else -1,
                          T0 + timedelta(milliseconds=i))  # fmt: skip

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(react, range(32)))
    assert votes(store) == {"U0": -1, "U1": 1, "U2": -1, "U3": 1}  # each one's latest


def test_a_correction_goes_to_the_latest_answer_in_its_thread_once(store):
    post(store, "Ev1", "C1/2.0", place="C1/1.0")
    post(store, "Ev2", "C1/3.0", place="C1/1.0")  # a follow-up answered in the same thread
    fixed = store.correct("slack", place="C1/1.0", author="U9", text="Within 30 days.",
                          event_id="C1/4.0")  # fmt: skip
    assert fixed is True
    assert store.correct("slack", place="C1/1.0", author="U9", text="Within 30 days.",
                         event_id="C1/4.0") is False  # fmt: skip
    assert store.correct("slack", place="C9/1.0", author="U9", text="x", event_id="C9/2") is None
    with store.session() as session:
        (correction,) = session.scalars(select(Correction))
        assert correction.answer.message_ref == "C1/3.0" and correction.author == "U9"


def test_a_reason_is_kept_with_the_vote(store):
    post(store, "Ev1", "C1/2.0")
    assert not store.give_reason("slack", "C1/2.0", "U7", "too vague")  # no vote yet
    store.vote("slack", "C1/2.0", "U7", -1, T0)
    assert store.give_reason("slack", "C1/2.0", "U7", "too vague")
    with store.session() as session:
        assert session.scalar(select(Vote.reason)) == "too vague"


# -- a question's life --------------------------------------------------------------------------
REPLY = Reply(
    "supportbot.deliver.slack", {"channel": "C1", "thread_ts": "1.0", "message_ts": "1.0"}
)


def test_only_one_of_many_racing_claims_wins_and_a_released_claim_is_free_again(store):
    with ThreadPoolExecutor(max_workers=8) as pool:
        wins = list(pool.map(lambda _: store.claim(asked("Ev1"), REPLY), range(16)))
    assert wins.count(True) == 1
    assert store.state(asked("Ev1").key) == "claimed"
    store.release(asked("Ev1").key)  # the queue refused it: the platform's retry may try again
    assert store.state(asked("Ev1").key) is None and store.claim(asked("Ev1"), REPLY)
    assert store.record_answer(asked("Ev1"), answered())
    store.release(asked("Ev1").key)  # an answered question stays
    assert store.state(asked("Ev1").key) == "answered" and not store.claim(asked("Ev1"), REPLY)


def test_an_answer_is_written_once_and_comes_back_as_written(store):
    question = asked("Ev1")
    store.claim(question, REPLY)
    first = answered()
    assert store.record_answer(question, first)
    assert not store.record_answer(question, answered("Something else."))
    assert store.stored_answer(question.key) == first.model_copy(update={"question": question.text})
    assert store.question(question.key) == question


def test_one_delivery_posts_and_its_own_retry_may_go_on(store):
    question = asked("Ev1")
    store.claim(question, REPLY)
    assert not store.take_delivery(question.key, "d1", apology=False)  # nothing to post yet
    store.record_answer(question, answered())
    with ThreadPoolExecutor(max_workers=8) as pool:
        taken = list(pool.map(lambda n: store.take_delivery(question.key, f"d{n}", apology=False),
                              range(8)))  # fmt: skip
    assert taken.count(True) == 1
    winner = f"d{taken.index(True)}"
    assert not store.take_delivery(question.key, winner, apology=False)  # a copy, mid-post
    store.pause_delivery(question.key, winner)  # the post failed; it will retry
    assert store.take_delivery(question.key, winner, apology=False)  # its retry
    assert not store.take_delivery(question.key, "sweeper", apology=True)
    store.delivered(question.key, Posted("C1/2.0", "C1/1.0"))
    assert store.state(question.key) == "delivered"
    assert not store.take_delivery(question.key, winner, apology=False)  # never posted twice
    assert store.vote("slack", "C1/2.0", "U1", 1, T0)  # votes on the post count


def test_a_draft_is_approved_once_its_edit_kept_and_its_asker_then_sent_the_edit(store):
    question = asked("EvR1")
    store.claim(question, REPLY)
    store.record_answer(question, answered())
    assert store.approve(question.key, "U9").approved is False  # not drafted for review yet
    assert store.take_delivery(question.key, "d1", apology=False)
    store.in_review(question.key, Posted("R1/5.0", "R1/5.0"))
    assert store.state(question.key) == "in_review"
    assert question.key not in {w.question.key for w in store.waiting()}  # a teammate has it
    edit = "Yearly plans: a full refund within 14 days [1]."
    with ThreadPoolExecutor(max_workers=4) as pool:  # two teammates press at once
        approvals = list(pool.map(lambda who: store.approve(question.key, who, edit),
                                  ["U2", "U3", "U2", "U3"]))  # fmt: skip
    assert [a.approved for a in approvals].count(True) == 1
    first = approvals[[a.approved for a in approvals].index(True)]
    assert {(a.by, a.review_ref) for a in approvals} == {(first.by, "R1/5.0")}
    assert store.reviewed_by(question.key) == first.by
    assert store.stored_answer(question.key).text == edit  # what the asker is sent
    assert store.take_delivery(question.key, "d2", apology=False)  # now to the asker
    store.delivered(question.key, Posted("C1/6.0", "C1/1.0"))
    answer = store.answer_for(question.key)
    assert answer.text == answered().text  # the model's words, beside the reviewer's
    assert [(c.author, c.text) for c in answer.corrections] == [(first.by, edit)]


def test_a_post_that_never_ended_lets_its_delivery_retry_after_the_lease(store):
    from knowledge.records.store import POSTING_LEASE
    from knowledge.records.tables import AskedQuestion

    question = asked("Ev1")
    store.claim(question, REPLY)
    store.record_answer(question, answered())
    assert store.take_delivery(question.key, "killed", apology=False)
    assert not store.take_delivery(question.key, "killed", apology=False)  # redelivered copy
    with store.sessions.begin() as session:  # the worker died mid-post, a lease ago
        row = session.scalar(select(AskedQuestion).where(AskedQuestion.key == question.key))
        row.posting_since = datetime.now(UTC) - POSTING_LEASE - timedelta(seconds=1)
    assert store.take_delivery(question.key, "killed", apology=False)
    assert not store.take_delivery(question.key, "other", apology=False)


def test_a_failed_question_is_waiting_until_the_asker_is_told(store):
    question = asked("Ev1")
    store.claim(question, REPLY)
    assert store.fail(question.key, "GenerationError: the model is down")
    (waiting,) = store.waiting()
    assert (waiting.state, waiting.answered, waiting.reply) == ("failed", False, REPLY)
    assert waiting.question == question
    assert store.take_delivery(question.key, "sorry", apology=True)
    store.delivered(question.key, Posted("C1/3.0", "C1/1.0"), apology=True)
    assert store.state(question.key) == "told" and store.waiting() == []
    assert not store.fail(question.key, "late")  # past that point


def test_a_late_answer_beats_an_apology_not_yet_posted(store):
    question = asked("Ev1")
    store.claim(question, REPLY)
    store.fail(question.key, "expired")
    assert store.record_answer(question, answered())  # the first worker finished after all
    assert store.take_delivery(question.key, "chain", apology=False)
    assert not store.take_delivery(question.key, "sorry", apology=True)


def test_a_store_from_before_the_records_keeps_its_answers_and_votes(url):
    """0001 (the feedback store) to head: stored answers count as delivered, votes stay."""
    from alembic import command

    from knowledge.records.store import alembic_config

    command.upgrade(alembic_config(url), "0001")
    engine = create_engine(url)
    with engine.begin() as db:
        db.exec_driver_sql(
            'INSERT INTO questions (id, key, platform, workspace, channel, thread, "user", text,'
            " history, asked_at) VALUES (1, 'slack:T1:Ev1', 'slack', 'T1', 'C1', '', 'U1', 'hi?',"
            " '[]', '2026-11-01 12:00:00')"
        )
        db.exec_driver_sql(
            "INSERT INTO answers (id, question_id, platform, message_ref, place, text,"
            " standalone_question, citations, retrieved, confidence, declined, model_backend,"
            " model_repo, model_revision, adapter_repo, adapter_revision, timings, answered_at)"
            " VALUES (1, 1, 'slack', 'C1/2.0', 'C1/1.0', 'Hello.', 'hi?', '[]', '[]', 'high',"
            " false, 'extractive', '', '', '', '', '{}', '2026-11-01 12:00:01')"
        )
        db.exec_driver_sql(
            'INSERT INTO votes (id, answer_id, "user", value, at)'
            " VALUES (1, 1, 'U2', 1, '2026-11-01 12:01:00')"
        )
    engine.dispose()
    store = Records(url)
    try:
        assert store.state("slack:T1:Ev1") == "delivered" and store.waiting() == []
        assert votes(store) == {"U2": 1}
        assert store.vote("slack", "C1/2.0", "U3", -1, T0 + timedelta(days=1))
    finally:
        store.close()


def test_a_delivery_that_stopped_trying_is_taken_back_but_a_live_one_is_not(store):
    question = asked("Ev1")
    store.claim(question, REPLY)
    store.record_answer(question, answered())
    assert store.take_delivery(question.key, "lost", apology=False)
    before = datetime.now(UTC) - timedelta(minutes=5)
    assert not store.reclaim(question.key, before)  # it touched the record just now
    assert store.reclaim(question.key, datetime.now(UTC) + timedelta(seconds=1))
    assert store.state(question.key) == "answered"
    assert store.take_delivery(question.key, "resent", apology=False)
    assert not store.take_delivery(question.key, "lost", apology=False)  # the old one, back late


def test_stats_and_exports_count_only_answers_people_saw(store):
    from knowledge.records.export import Consent, rated_answers
    from knowledge.records.stats import stats

    post(store, "Ev1", "C1/2.0")
    store.claim(asked("Ev2"), REPLY)
    store.record_answer(asked("Ev2"), answered())  # written, its delivery still on the way
    assert stats(store).overall.answers == 1
    rated = list(rated_answers(store, voice="", sources=3, source_chars=500,
                               consent=Consent(workspaces=frozenset({"slack:T1"}))))  # fmt: skip
    assert len(rated) == 1


def test_a_thread_says_who_asked_first_how_often_and_when_it_last_moved(store):
    assert store.thread("slack", "C1", "T9") is None
    before = datetime.now(UTC)
    assert store.claim(asked("EvT1", thread="T9", user="U1"))
    assert store.claim(asked("EvT2", thread="T9", user="U2", text="me too: and monthly?"))
    assert store.claim(asked("EvT3", thread="T8", user="U3"))  # another thread
    assert store.record_answer(asked("EvT2", thread="T9", user="U2"), answered())
    thread = store.thread("slack", "C1", "T9")
    assert thread is not None
    assert (thread.asker, thread.questions) == ("U1", 2)
    assert before <= thread.last_activity <= datetime.now(UTC)
    assert store.thread("discord", "C1", "T9") is None  # the same ids on another platform


def test_the_questions_before_one_in_its_thread_say_whether_they_still_wait(store):
    first, second, third = (asked(f"EvE{n}", thread="T7", text=f"q{n}") for n in range(3))
    for question in (first, second, third):
        assert store.claim(question)
    assert store.claim(asked("EvE9", thread="T6"))  # another thread
    assert store.record_answer(first, answered("Refunds take 14 days [1]."), Posted("C1/5", "x"))
    assert store.earlier_in_thread(first.key) == []
    earlier = store.earlier_in_thread(third.key)
    assert [(e.key, e.waiting, e.answer) for e in earlier] == [
        (first.key, False, "Refunds take 14 days [1]."),
        (second.key, True, None),
    ]
    assert store.earlier_in_thread(asked("EvNone").key) == []  # a question never claimed


def test_a_question_is_escalated_once_and_closed_by_its_asker_or_once_a_person_helps(store):
    post(store, "EvH1", "C1/7.0", place="C1/EvH1")
    assert store.mark("resolve", "slack", "U2", T0, message_ref="C1/7.0") is False  # not theirs
    assert store.handoff("slack", "C1/7.0") == Handoff("slack:T1:EvH1", "U1", None, False, False)
    assert store.mark("escalate", "slack", "U1", T0, message_ref="C1/7.0") is True
    assert store.mark("escalate", "slack", "U1", T0, message_ref="C1/7.0") is False  # once
    assert store.mark("resolve", "slack", "U2", T0, place="C1/EvH1") is True  # the person helped
    assert store.mark("resolve", "slack", "U1", T0, message_ref="C1/7.0") is False  # closed
    assert store.handoff("slack", "C1/7.0") == Handoff("slack:T1:EvH1", "U1", None, True, True)
    assert store.mark("resolve", "slack", "U1", T0, message_ref="C1/8.0") is None  # not ours
    assert store.handoff("slack", "C1/8.0") is None

    post(store, "EvH2", "C1/9.0")
    assert store.mark("resolve", "slack", "U1", T0, message_ref="C1/9.0") is True  # the asker


def test_each_channel_shows_what_became_of_its_questions(store):
    from knowledge.records.stats import outcomes

    post(store, "EvO1", "C1/1.0")  # answered, then closed by its asker: the bot resolved it
    assert store.mark("resolve", "slack", "U1", T0, message_ref="C1/1.0")
    post(store, "EvO2", "C1/2.0")  # a person was asked for, and closed it
    assert store.mark("escalate", "slack", "U1", T0, message_ref="C1/2.0")
    assert store.mark("resolve", "slack", "U9", T0, message_ref="C1/2.0")
    post(store, "EvO3", "C1/3.0")  # a person was asked for; still open
    assert store.mark("escalate", "slack", "U1", T0, message_ref="C1/3.0")
    declined = answered("Not in the docs.", declined=True)
    assert store.record_answer(asked("EvO4", channel="C2"), declined, Posted("C2/4.0", "C2/4"))

    soon = outcomes(store, datetime.now(UTC))
    c1, c2, total = outcomes(store, datetime.now(UTC) + timedelta(days=2))
    assert (c1.label, c1.asked, c1.answered, c1.resolved_by_bot, c1.escalated) == (
        "slack:C1", 3, 3, 1, 2)  # fmt: skip
    assert (c1.resolved_by_person, c1.open_after_a_day) == (1, 1)
    assert (c2.label, c2.declined, c2.open_after_a_day) == ("slack:C2", 1, 1)
    assert (total.asked, total.open_after_a_day) == (4, 2)
    assert [o.open_after_a_day for o in soon] == [0, 0, 0]  # asked just now: not a day old yet


def test_only_questions_several_people_asked_and_were_answered_are_suggested(store):
    from knowledge.records.stats import most_asked

    def ask(n: int, text: str, user: str, *, answer=None, **fields) -> None:
        question = asked(f"EvM{n}", text, user=user, **fields)
        ref = f"C1/{n}.5"
        assert store.record_answer(question, answer or answered(), Posted(ref, f"C1/{n}"))

    ask(1, "How do I export my data?", "U1")
    ask(2, "how do i export my data", "U2")  # the same question, another person
    ask(3, "How do I export my data?", "U1")  # a repeat by the same person counts once
    ask(4, "Where is my invoice?", "U1")  # one person's words: never shown to another
    ask(5, "Where is my invoice?", "U1")
    for n, user in [(6, "U1"), (7, "U2")]:  # both declined: not a question to suggest
        ask(n, "Can I pay in bitcoin?", user, answer=answered("No.", declined=True))
    for n, user in [(8, "U1"), (9, "U2")]:  # the thread made it: "and that one?"
        ask(n, "And that one?", user, history=[{"role": "user", "content": "refunds?"}])
    for n, user in [(10, "U3"), (11, "U4"), (12, "U5")]:  # voted down: not suggested
        ask(n, "Can I merge accounts?", user)
    assert store.vote("slack", "C1/10.5", "U3", -1, T0)

    since = datetime.now(UTC) - timedelta(days=1)
    assert most_asked(store, "slack", since=since) == ["How do I export my data?"]
    assert most_asked(store, "discord", since=since) == []
    assert most_asked(store, "slack", since=datetime.now(UTC) + timedelta(days=1)) == []


def test_retention_removes_old_words_and_keeps_what_is_counted(store):
    from knowledge.records import privacy
    from knowledge.records.stats import outcomes

    old = asked("EvOld", "my email is ada@example.com, refund?", thread="C1/1.0")
    assert store.record_answer(old, answered(), Posted("C1/1.5", "C1/1.0"))
    follow_up = asked("EvOld2", "and monthly?", thread="C1/1.0", user="U2",
                      history=[{"role": "user", "content": old.text}])  # fmt: skip
    assert store.record_answer(follow_up, answered(), Posted("C1/1.7", "C1/1.0"))
    assert store.vote("slack", "C1/1.5", "U3", -1, T0)
    assert store.give_reason("slack", "C1/1.5", "U3", "it ignored my email")
    new = asked("EvNew", "where is my invoice?")
    assert store.record_answer(new, answered(), Posted("C1/2.5", "C1/2.0"))
    with store.session() as session:  # the first two were asked long ago
        for row in session.query(AskedQuestion).filter(AskedQuestion.key.contains("EvOld")):
            row.asked_at = datetime.now(UTC) - timedelta(days=40)
        session.commit()

    removed = privacy.expire(store, datetime.now(UTC) - timedelta(days=30))
    assert (removed.questions, removed.answers) == (2, 2)
    assert privacy.expire(store, datetime.now(UTC) - timedelta(days=30)).questions == 0  # once
    assert store.question(old.key).text == "" and store.question(follow_up.key).history == []
    assert store.stored_answer(old.key).text == "" and store.answer_for(old.key).citations
    assert all(v.reason is None for v in store.answer_for(old.key).votes)
    assert store.question(new.key).text == "where is my invoice?"  # newer: kept
    (total,) = outcomes(store, datetime.now(UTC))[-1:]
    assert (total.asked, total.answered) == (3, 3)  # the counts stay true


def test_forgetting_a_person_erases_them_in_other_peoples_threads_and_marks(store):
    from knowledge.records import privacy

    theirs = asked("EvF1", "my name is Ada and my refund?", thread="C1/5.0", user="U1")
    assert store.record_answer(theirs, answered(), Posted("C1/5.5", "C1/5.0"))
    other = asked("EvF2", "same here", thread="C1/5.0", user="U2",
                  history=[{"role": "user", "content": theirs.text}])  # fmt: skip
    assert store.record_answer(other, answered(), Posted("C1/5.7", "C1/5.0"))
    assert store.vote("slack", "C1/5.7", "U1", 1, T0)  # U1 voted on U2's answer
    assert store.correct("slack", message_ref="C1/5.7", author="U1", text="Ask Ada", event_id="c1")
    assert store.mark("escalate", "slack", "U1", T0, message_ref="C1/5.7")  # asked for a person
    assert store.mark("resolve", "slack", "U1", T0, message_ref="C1/5.7")  # and closed it

    removed = privacy.forget(store, "U1")
    assert (removed.questions, removed.threads, removed.votes) == (1, 1, 1)
    assert (removed.corrections, removed.names) == (1, 2)
    assert store.question(other.key).history == []  # their words, in U2's follow-up
    assert store.question(other.key).text == "same here"  # U2's own words stay
    with store.session() as session:
        rows = {q.key: q for q in session.query(AskedQuestion)}
    assert (rows[theirs.key].user, rows[other.key].escalated_by, rows[other.key].resolved_by) == (
        "", "", "")  # fmt: skip
    assert rows[other.key].escalated_at is not None  # the outcome stays, without the name
    assert store.answer_for(other.key).votes == [] and store.answer_for(other.key).corrections == []
