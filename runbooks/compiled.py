"""A queryset compiled to SQL once and run again with each request's values.

Every anonymous visitor asks the same questions (may anyone read this page? which public
runbook answers this alert?), and building and compiling the visibility query was half the cost
of answering them (bench/README.md). A `CompiledQuery` is built from the queryset itself, with
marker values where a request's values go, so the rule stays where it is written (`visible_to`);
each run puts the request's values where the markers were.
"""

from datetime import datetime

from django.db import connections


class CompiledQuery:
    """`queryset`'s SQL and parameters, with the parameters equal to `markers[name]` replaced by
    `values[name]` at each `run(**values)`. Rows come back as tuples, converted as the queryset
    would convert them (dates, JSON)."""

    def __init__(self, queryset, markers: dict[str, object]):
        self.alias = queryset.db
        self.compiler = queryset.query.get_compiler(self.alias)
        self.sql, params = self.compiler.as_sql()
        adapted = {name: self._adapt(value) for name, value in markers.items()}
        self.slots = {
            index: name
            for index, value in enumerate(params)
            for name, marker in adapted.items()
            if type(value) is type(marker) and value == marker
        }
        if set(self.slots.values()) != set(markers):
            raise RuntimeError(f"A compiled query lost its markers: {self.sql}")
        self.params = list(params)
        columns = [column for column, *_ in self.compiler.select]
        self.converters = self.compiler.get_converters(columns)

    def _adapt(self, value):
        if isinstance(value, datetime):
            return connections[self.alias].ops.adapt_datetimefield_value(value)
        return value

    def run(self, **values) -> list[tuple]:
        values = {name: self._adapt(value) for name, value in values.items()}
        params = [
            values[self.slots[i]] if i in self.slots else p for i, p in enumerate(self.params)
        ]
        with connections[self.alias].cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        if self.converters:
            rows = self.compiler.apply_converters(rows, self.converters)
        return [tuple(row) for row in rows]
