"""The report as one HTML page: Plotly charts and sortable tables, each with its CSV.

The charts' JavaScript comes from the plotly package itself (served beside the page, or inlined
in a written file), never a CDN, so the page works on an air-gapped server. Everything read
from the records is escaped (Jinja's autoescape, markupsafe): a question is text, never markup,
and only public http(s) links become links.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from knowledge.index.links import public_link
from knowledge.records.report import Day, Report

OUTCOMES = ("asked", "answered", "declined", "escalated", "resolved", "up", "down")
LABELS = {"up": "👍", "down": "👎", "escalated": "to a person"}
_templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent), autoescape=select_autoescape(["j2", "html"])
)


@dataclass(frozen=True)
class Link:
    """A table cell that links to a page (shown as its title)."""

    title: str
    url: str


Cell = str | int | float | Link | list[str]


def plotly_js() -> str:
    """plotly.js as the installed plotly package ships it (about 4.8 MB)."""
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def render(report: Report, *, inline_js: bool) -> str:
    """The whole page; `inline_js`: one self-contained file (else plotly.min.js is fetched
    beside the page)."""
    totals = {name: sum(getattr(d, name) for d in report.days) for name in OUTCOMES}
    # Markup: built here, every value from the records escaped (`table`) or JSON-encoded (plotly)
    built = {"outcomes_chart": outcomes_chart(report.days), "latency_chart": latency_chart(report)}
    return _templates.get_template("page.html.j2").render(
        since=f"{report.since:%Y-%m-%d}", until=f"{report.until:%Y-%m-%d}", totals=totals,
        plotly_inline=plotly_js() if inline_js else "",
        tables={name: Markup(html) for name, html in tables(report).items()},  # noqa: S704
        **{name: Markup(html) for name, html in built.items()},  # noqa: S704
    )  # fmt: skip


def outcomes_chart(days: Sequence[Day]) -> str:
    """A line per outcome per day; a menu picks all channels, one channel or one collection."""
    import plotly.graph_objects as go

    slices: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    for d in days:
        for name in ("all", f"channel {d.channel}", f"collection {d.collection}"):
            for outcome in OUTCOMES:
                by_day = slices[name][outcome]
                key = d.day.isoformat()
                by_day[key] = by_day.get(key, 0) + getattr(d, outcome)
    figure = go.Figure()
    names = list(slices) or ["all"]
    for n, name in enumerate(names):
        for outcome in OUTCOMES:
            points = sorted(slices[name][outcome].items())
            figure.add_trace(go.Scatter(
                x=[p[0] for p in points], y=[p[1] for p in points], mode="lines+markers",
                name=LABELS.get(outcome, outcome), visible=n == 0, legendgroup=outcome,
            ))  # fmt: skip
    per = len(OUTCOMES)
    figure.update_layout(
        height=420, margin={"t": 40, "b": 40}, yaxis_title="questions",
        updatemenus=[{"x": 0, "y": 1.15, "xanchor": "left", "buttons": [
            {"label": name, "method": "update",
             "args": [{"visible": [i // per == n for i in range(per * len(names))]}]}
            for n, name in enumerate(names)]}],
    )  # fmt: skip
    return str(figure.to_html(full_html=False, include_plotlyjs=False, div_id="outcomes"))


def latency_chart(report: Report) -> str:
    import plotly.graph_objects as go

    x = [item.day.isoformat() for item in report.latency]
    lines = {"p50": [item.p50_s for item in report.latency],
             "p95": [item.p95_s for item in report.latency]}  # fmt: skip
    figure = go.Figure(
        [go.Scatter(x=x, y=y, name=name, mode="lines+markers") for name, y in lines.items()]
    )
    figure.update_layout(
        height=320, margin={"t": 30, "b": 40}, yaxis_title="seconds, asked → posted"
    )
    return str(figure.to_html(full_html=False, include_plotlyjs=False, div_id="latency"))


def tables(report: Report) -> dict[str, str]:
    gaps: list[list[Cell]] = []
    for gap in report.gaps:
        why = ", ".join(f"{n} {reason}" for reason, n in gap.why.most_common())
        closest = [f"{title} ({similarity:.2f})" for title, _, similarity in gap.pages]
        gaps.append([gap.size, gap.trend, why, gap.examples, closest, gap.fix])
    down = sorted((p for p in report.pages if p.cited_voted_down),
                  key=lambda p: (-p.cited_voted_down, p.title))  # fmt: skip
    days: list[list[Cell]] = [
        [d.day.isoformat(), d.channel, d.collection, *(getattr(d, o) for o in OUTCOMES)]
        for d in report.days
    ]
    gap_headers = ["questions", "trend", "why", "examples", "closest pages", "suggested fix"]
    day_headers = ["day", "channel", "collection", *(LABELS.get(o, o) for o in OUTCOMES)]
    return {
        "gaps": table("gaps", gap_headers, gaps),
        "pages": table(
            "cited-pages",
            ["page", "cited", "by answers voted down"],
            [[Link(p.title, p.url), p.cited, p.cited_voted_down] for p in report.pages],
        ),
        "voted_down": table(
            "voted-down-pages",
            ["page", "by answers voted down", "cited"],
            [[Link(p.title, p.url), p.cited_voted_down, p.cited] for p in down],
        ),
        "days": table("days", day_headers, days),
        "stale": table(
            "stale-answers",
            ["question", "channel", "asked", "docs", "synced", "then"],
            [
                [s.question, s.channel, s.asked.isoformat(), s.source, s.synced.isoformat(), s.then]
                for s in report.stale
            ],
        ),
    }


def table(name: str, headers: Sequence[str], rows: Sequence[Sequence[Cell]]) -> str:
    """A sortable table with a link to its CSV; nothing from the records is markup."""
    if not rows:
        return "<p><i>Nothing in this period.</i></p>"
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(_cell(c) for c in row) + "</tr>" for row in rows)
    data = quote(csv_text(headers, rows))
    download = (f'<a class="csv" download="{escape(name)}.csv" '
                f'href="data:text/csv;charset=utf-8,{data}">Download CSV</a>')  # fmt: skip
    rows_html = f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody>"
    return f'<table class="sortable">{rows_html}</table>{download}'


def csv_text(headers: Sequence[str], rows: Sequence[Sequence[Cell]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    for row in rows:
        writer.writerow([_plain(c) for c in row])
    return out.getvalue()


def _plain(cell: Cell) -> str:
    """A cell as CSV holds it; a leading = + - @ would be a formula in a spreadsheet."""
    if isinstance(cell, Link):
        text = f"{cell.title} <{cell.url}>"
    elif isinstance(cell, list):
        text = " | ".join(cell)
    else:
        text = str(cell)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text


def _cell(cell: Cell) -> str:
    if isinstance(cell, int | float):
        return f'<td class="n">{cell}</td>'
    if isinstance(cell, Link):
        url = public_link(cell.url)
        title = escape(cell.title or cell.url)
        return f'<td><a href="{escape(url)}">{title}</a></td>' if url else f"<td>{title}</td>"
    if isinstance(cell, list):
        return "<td><ul>" + "".join(f"<li>{escape(x)}</li>" for x in cell) + "</ul></td>"
    return f"<td>{escape(cell)}</td>"
