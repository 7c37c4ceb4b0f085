"""Setting values as `.env` files really deliver them, whichever tool read the file.

honcho, docker's `--env-file`, systemd's `EnvironmentFile` and python-dotenv disagree on quotes:
honcho strips them (and the spaces between unquoted words), docker keeps them as part of the value.
So lists are written as plain comma-separated words, which every reader passes through unchanged,
and a value that arrives still wrapped in one pair of quotes is unwrapped. JSON stays accepted.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import BeforeValidator
from pydantic_settings import NoDecode

QUOTES = ("'", '"')


def unquote(value: Any) -> Any:
    """`"our support team"` -> `our support team`: docker passes the quotes through."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] and value[0] in QUOTES:
        return value[1:-1]
    return value


def comma_list(value: Any) -> Any:
    """`+1,thumbsup` or `["+1", "thumbsup"]` -> ["+1", "thumbsup"]; empty -> []."""
    value = unquote(value)
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith("["):
        return json.loads(text)
    return [item.strip() for item in text.split(",") if item.strip()]


def json_object(value: Any) -> Any:
    """JSON object text (possibly wrapped in quotes) -> dict; empty -> {}."""
    value = unquote(value)
    if isinstance(value, str):
        return json.loads(value) if value.strip() else {}
    return value


#: A list setting: comma-separated words, or a JSON list.
CommaList = Annotated[list[str], NoDecode, BeforeValidator(comma_list)]
#: A list of numbers (ids): comma-separated, or a JSON list.
CommaIntList = Annotated[list[int], NoDecode, BeforeValidator(comma_list)]
#: Mark a mapping setting `Annotated[dict[...], NoDecode, JSON_OBJECT]`: JSON, single-quoted in
#: a `.env` file that honcho reads.
JSON_OBJECT = BeforeValidator(json_object)
