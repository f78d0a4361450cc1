"""Demo comment threads across providers, written for this project: on the Ceph OSD runbook
(anchored to its diagnosis) and on the Ceph flapping post-mortem."""

from django.contrib.auth import get_user_model

from runbooks.models import Comment, Document
from runbooks.services import comments

THREADS = [
    {
        "document": ("runbook", "ceph-osd-down"),
        "section": "diagnosis",
        "author": "bob",
        "body": "On R6 with a new kernel the disk was simply gone: `lsblk` showed no device "
        "before `ceph-volume` did. Worth checking first, @alice?",
        "replies": [
            ("alice", "Good point — I'll add an `lsblk` check before the restart step."),
            ("hanna", "Same on our side last spring: the HBA firmware, not the disk."),
        ],
    },
    {
        "document": ("postmortem", "ceph-osds-flapping-after-a-switch-firmware-update"),
        "section": "",
        "author": "bob",
        "body": "We saw the same flapping after a switch update. Did you compare the MTU on "
        "the cluster network before and after?",
        "replies": [
            (
                "alice",
                "Yes: 9000 before, 1500 after on two ports. The MTU runbook found it in minutes.",
            )
        ],
    },
]


def seed_comments() -> None:
    """Idempotent: a document that already has comments is left as it is."""
    users = {u.username: u for u in get_user_model().objects.all()}
    for thread in THREADS:
        kind, slug = thread["document"]
        document = Document.objects.filter(kind=kind, slug=slug).first()
        if document is None or Comment.objects.filter(document=document).exists():
            continue
        top = comments.add_comment(
            document,
            actor=users[thread["author"]],
            body=thread["body"],
            section=thread["section"],
        )
        for author, body in thread["replies"]:
            comments.add_comment(document, actor=users[author], body=body, parent=top)
