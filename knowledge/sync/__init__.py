"""Keeping the index fresh from where the docs live: a folder, a Git repository or a website's
sitemap (`sources`), synced once (`supportbot ingest URL`) or on a schedule (Celery beat).

A sync brings the source's pages into a folder first (a Git checkout, or a mirror of the site as
markdown files), then runs the ordinary ingest over it: only changed pages are embedded, pages gone
from the source leave the index, and a page that could not be fetched keeps its previous version.
Imports the search's `KnowledgeBase` and the index, never answers, records or tuning.
"""
