"""OpenOps models, one module per domain."""

from .documents import Document, DocumentQuerySet, Revision, Tag
from .providers import ROLE_RANK, Membership, Provider, Role

__all__ = [
    "ROLE_RANK",
    "Document",
    "DocumentQuerySet",
    "Membership",
    "Provider",
    "Revision",
    "Role",
    "Tag",
]
