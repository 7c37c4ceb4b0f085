"""Which attached files are read into a question, and what the asker is told of the others."""

from __future__ import annotations

from bot.chat.attachments import Attached, kind_of, left_unread, question_with, shown_name, to_read
from bot.slack.files import allowed_host

KB = 1024


def file(name: str, mimetype: str = "", size: int = 100, url: str = "https://files.slack.com/x"):
    return Attached(name=name, mimetype=mimetype, size=size, url=url)


def test_text_files_are_read_within_the_limit_and_images_never():
    files = [file("notes.md"), file("app.LOG"), file("data", "application/json"),
             file("shot.png", "image/png"), file("report.pdf", "application/pdf"),
             file("big.txt", size=40 * KB), file("nolink.txt", url="")]  # fmt: skip
    assert [kind_of(f) for f in files[:5]] == ["text", "text", "text", "image", "other"]
    assert [f.name for f in to_read(files, 32 * KB)] == ["notes.md", "app.LOG", "data"]


def test_the_asker_is_told_of_each_file_left_out_in_one_line():
    files = [file("shot.png", "image/png"), file("big.txt", size=40 * KB), file("a.pdf")]
    note = left_unread(files, [], 32 * KB, has_text=True)
    assert note == (
        "I can't read images yet; “big.txt” is too large for me to read (40 KB; I read up to "
        "32 KB); I can only read text files, not “a.pdf”; I answered from your text."
    )
    only_image = left_unread([file("shot.png", "image/png")], [], 32 * KB, has_text=False)
    assert only_image == "I can't read images yet; please type your question."
    assert left_unread([file("notes.md")], ["notes.md"], 32 * KB, has_text=True) is None


def test_a_file_name_carries_no_markup_or_path():
    assert shown_name("../../etc/<@U123>*passwd*.txt") == "“U123passwd.txt”"
    assert shown_name(r"C:\Users\ada\log.txt") == "“log.txt”"
    read_in = question_with("why?", [("a.log", " ERROR 42\n")])
    assert read_in == "why?\n\nAttached file “a.log”:\nERROR 42"


def test_the_bots_token_is_sent_only_to_slacks_own_file_hosts():
    api = "https://slack.com/api/"
    assert allowed_host("https://files.slack.com/files-pri/T1-F1/download/a.txt", api)
    assert not allowed_host("http://files.slack.com/a.txt", api)  # not over plain http
    assert not allowed_host("https://files.slack.com.attacker.example/a.txt", api)
    assert not allowed_host("https://attacker.example/a.txt", api)
    assert allowed_host("http://127.0.0.1:8080/files/a.txt", "http://127.0.0.1:8080/api/")
    assert not allowed_host("http://127.0.0.1:9999/files/a.txt", "http://127.0.0.1:8080/api/")
