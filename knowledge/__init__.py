"""The core, with no chat platform and no task queue: the docs' way from a file to an answer.

The stages, in the data's order: `index` (read, chunk, embed, store) -> `search` (a question to
ranked pages) -> `answers` (prompt, generate, check, decline) -> `records` (every question's life
and its feedback) -> `tuning` (the next brand-voice adapter). `sync` brings the docs in from where
they live. Shared by all: `settings`, `models` (the plain data that crosses processes), `logs`,
`files`, `disk`. Each stage imports only those before it (the import-linter contracts).
"""

from knowledge import logs

# Libraries read their output switches once, when first imported, and every supportbot process
# imports this package before any of them: so the defaults are set here (`logs.LIBRARY_ENV`).
logs.library_defaults()
