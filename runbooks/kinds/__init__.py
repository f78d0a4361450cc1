"""A home for each kind of document: one module per kind, registered once in `registry`; and
each kind of event, registered once in `events`.

A kind says where it lives (URL prefix), how it starts (status, visibility), which model holds
its own fields, how those fields look in a form and in the API, which template parts its page
adds, and whether alert routes lead to it. Services, forms, serializers, URLs and templates ask
the registry instead of testing `kind == …`; a new kind adds a module here.

The registry holds data only and imports nothing above the models: what a kind adds to a face
is registered by that face, keyed by kind, with plain imports — its extra pages, page context,
where a new one starts from and the service that creates it in `views/kinds.py`, its API
actions in `api/documents.py`, the services saving its links and what happens around a change
of its audience in `services/kinds.py`. A kind without an entry there gets the shared
behaviour.
"""
