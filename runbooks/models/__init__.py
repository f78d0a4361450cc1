"""OpenOps models, one module per domain."""

from .alerts import (
    Alert,
    AlertEvent,
    AlertRoute,
    AlertSource,
    AlertStatus,
    EventStatus,
    InboxEntry,
    RouteChange,
    RunbookMiss,
)
from .audit import AppendOnly, AuditEntry
from .chat import ChatDelivery, ChatTarget
from .comments import Comment
from .documents import Document, DocumentQuerySet, Revision, Tag
from .events import Event
from .heartbeats import Heartbeat
from .notifications import MailPreference, Notification, Subscription
from .offline import OfflineCopy
from .postmortems import ActionItem, Postmortem, RunbookUse, Severity
from .providers import ROLE_RANK, Membership, Provider, Role, roles_of
from .ratelimits import RateCounter
from .reports import Outcome, Report
from .runbooks import ReviewReason, Runbook, RunbookQuerySet
from .search import SearchEntry
from .tokens import USER_SCOPES, Scope, Token, hash_token

__all__ = [
    "AppendOnly",
    "AuditEntry",
    "ActionItem",
    "Alert",
    "AlertEvent",
    "AlertRoute",
    "AlertSource",
    "AlertStatus",
    "EventStatus",
    "ChatDelivery",
    "ChatTarget",
    "Comment",
    "InboxEntry",
    "RouteChange",
    "RunbookMiss",
    "ROLE_RANK",
    "Document",
    "DocumentQuerySet",
    "Event",
    "Heartbeat",
    "MailPreference",
    "Notification",
    "OfflineCopy",
    "Subscription",
    "Membership",
    "Outcome",
    "Postmortem",
    "Provider",
    "RateCounter",
    "Report",
    "Revision",
    "ReviewReason",
    "Runbook",
    "RunbookQuerySet",
    "RunbookUse",
    "Role",
    "Scope",
    "SearchEntry",
    "Severity",
    "Tag",
    "Token",
    "USER_SCOPES",
    "hash_token",
    "roles_of",
]
