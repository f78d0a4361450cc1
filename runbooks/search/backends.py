"""The search backend of the database in use: `postgres` (tsvector, GIN, pg_trgm) or `sqlite`
(FTS5). Each offers the same functions: after_write, matching, newest_first, ranks, snippets,
prefixed, similar."""

from django.db import connection

from . import postgres, sqlite

BACKENDS = {"postgresql": postgres, "sqlite": sqlite}


def backend():
    return BACKENDS[connection.vendor]
