from knowledge.index.markup import (
    leading_title,
    plain_heading,
    readable,
    setext_to_atx,
    slugify,
    split_front_matter,
    title_from_path,
)


def test_front_matter_is_split_from_the_body():
    meta, body = split_front_matter("---\ntitle: Reset\nurl: https://x/y\n---\n# Reset\nText")
    assert meta == {"title": "Reset", "url": "https://x/y"}
    assert body == "# Reset\nText"


def test_malformed_front_matter_counts_as_none():
    text = "---\ntitle: [unclosed\n---\nBody"
    assert split_front_matter(text) == ({}, text)
    assert split_front_matter("---\n- a list\n---\nBody") == ({}, "---\n- a list\n---\nBody")


def test_setext_headings_become_atx_but_lists_and_tables_do_not():
    text = "**Star your docs**\n=====\n\n- item\n---\nSub head\n--------\n| a |\n|---|"
    assert setext_to_atx(text) == "# **Star your docs**\n\n- item\n---\n## Sub head\n| a |\n|---|"


def test_slugs_match_github_anchors():
    assert slugify("When should I *star* a doc, and when should I pin it?") == (
        "when-should-i-star-a-doc-and-when-should-i-pin-it"
    )
    assert slugify("Set up [SAML](https://x) 2.0") == "set-up-saml-20"


def test_title_comes_from_an_opening_h1_only():
    assert leading_title("# **Reset** your password\n\nText") == "Reset your password"
    assert leading_title("Intro text\n\n# Later heading") == ""
    assert leading_title("## A section first") == ""


def test_plain_heading_and_file_titles():
    assert plain_heading("`code` and **bold**") == "code and bold"
    assert title_from_path("reset-your_password") == "Reset your password"


def test_a_dashed_line_inside_a_code_fence_is_not_a_heading_underline():
    """Obsidian's Properties page: a YAML example's `---` made `time: ...` a fake H2."""
    text = "## Properties\n\n```yaml\n---\ntime: 2020-08-21T10:30:00\n---\n```\n\nAfter."
    assert setext_to_atx(text) == text
    two_lines = "A heading over\ntwo lines\n---\nbody"
    assert setext_to_atx(two_lines) == "## A heading over two lines\nbody"
    assert setext_to_atx("| a | b |\n---\nx") == "| a | b |\n---\nx"  # a table meant, not a heading


def test_markup_reads_as_plain_text_in_a_quote():
    assert readable("You need a [[Catalyst license|Catalyst licenses]] first.") == (
        "You need a Catalyst licenses first."
    )
    assert readable("Open [[Settings#Appearance]].") == "Open Settings › Appearance."
    assert (
        readable("> [!Warning] Back up your vault first.") == "Warning: Back up your vault first."
    )
    assert readable("> > quoted twice") == "quoted twice"
    assert readable("| --- | :---: |") == ""
    assert readable("| Plan | Price |") == "Plan · Price"
    assert readable("See [](https://x) and [the docs](https://y).") == "See and the docs."
    assert readable("**Bold `code`** and ==marked== and ![[diagram.png]]") == (
        "Bold code and marked and"
    )
