"""What search reads for each document: its text gathered into weighted parts
(`runbooks.search.entries` writes them). Each backend indexes these rows its own way:
PostgreSQL a stored `tsvector` (`vector`) with a GIN index, SQLite an FTS5 table kept in sync by
triggers (migration 0015)."""

from django.contrib.postgres.search import SearchVectorField
from django.db import models

from .documents import Document


class SearchEntry(models.Model):
    document = models.OneToOneField(
        Document, primary_key=True, on_delete=models.CASCADE, related_name="search_entry"
    )
    title = models.TextField()
    names = models.TextField(blank=True)  # alert names routed here: whole and split into words
    tags = models.TextField(blank=True)  # tag labels, component, the kind's own fields
    text = models.TextField(blank=True)  # the current revision's text and visible comments
    vector = SearchVectorField(null=True)  # PostgreSQL only; NULL on SQLite
    # Title and alert names alone, small enough to read thousands of as you type (PostgreSQL).
    heading = SearchVectorField(null=True)

    def __str__(self) -> str:
        return self.title
