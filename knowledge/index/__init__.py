"""Docs into the index: find and read files (`documents`), chunk them, embed chunks and their
sentences, and write them to Milvus (`store`), changed pages only (`ingest`).
Imports only the shared modules (`knowledge.settings`, `models`, `logs`, `files`)."""
