"""A home for each kind of document: one module per kind, registered once in `registry`.

A kind says where it lives (URL prefix), how it starts (status, visibility), which model holds
its own fields, how those fields look in a form and in the API, which template parts its page
adds and which extra pages and API actions it has. Services, forms, serializers, URLs and
templates ask the registry instead of testing `kind == …`; a new kind adds a module here.
"""
