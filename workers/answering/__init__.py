"""What a question's tasks lean on while answering: the index or model a process loads once
(`runtime`, `owner`, `pools`), a follow-up's turn in its thread, and a streamed draft's pace.
Imports `knowledge` and the workers' shared modules (names, settings, records)."""
