"""Where the `supportbot` commands print: results to stdout, problems to stderr."""

from rich.console import Console

console = Console(soft_wrap=True)
errors = Console(stderr=True, soft_wrap=True)
