"""The one door for writes (STYLE §1): every change to the data goes through these modules.

One module per domain — people, tags, documents, runbooks, tokens, routes, imports, intake —
and `base` for what they share (the domain errors, the acting user's check). Each public service
takes the acting user (`actor`; `runbooks.actors.SYSTEM` for commands and tasks), checks that
user's right itself (`NotAllowed` otherwise), validates everything before writing, and does the
whole action in one transaction. Pages, API, commands and tasks call them; nothing else saves
models.

Import the module you need (`from runbooks.services import documents`); this package
re-exports nothing, so no import ever runs in a circle through it.
"""
