"""Which collections a question may draw on: a pure decision, shared by the search and by
`supportbot doctor`, which shows each channel's.

A channel's policy names its collections; a channel without one (and a direct message) gets the
default scope: `SUPPORTBOT_DEFAULT_COLLECTIONS` when set, else every collection not marked
private. It fails closed: never "everything", and a private collection is served only where it
is named. A collection is private when any of its documents was ingested as private.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def scope(
    named: Sequence[str] | None, default: Sequence[str], privacy: Mapping[str, bool]
) -> list[str]:
    """The collections to search: `named` (an empty list: none at all), else `default`, else
    every collection in `privacy` (name -> private) that is not private."""
    if named is not None:
        return list(named)
    if default:
        return list(default)
    return sorted(name for name, private in privacy.items() if not private)
