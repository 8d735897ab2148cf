"""Every table of the product, declared on one `Base`: importing this package completes the schema.

The tables live in modules by subject (`case`, `ledgers`, `accounts`, `dip`, `notices`); their
names are re-exported here, so `from ppid.core.models import Case` is the one way to reach a model.
"""

from ppid.core.models.accounts import IdScanView, User, WebSession
from ppid.core.models.base import Base, UTCDateTime, fit_to_columns, utcnow
from ppid.core.models.case import (
    AppendOnlyError,
    Case,
    CaseDocument,
    CaseEvent,
    LetterCounter,
    RegisterCounter,
    Task,
)
from ppid.core.models.dip import CATEGORY_LABELS, DipCategory, DipItem, case_dip_items
from ppid.core.models.ledgers import (
    IntakeFile,
    IntakeStatus,
    MailMessage,
    MailStatus,
    Submission,
    SubmissionStatus,
)
from ppid.core.models.notices import Notice, NoticeStatus

__all__ = [
    "CATEGORY_LABELS",
    "AppendOnlyError",
    "Base",
    "Case",
    "CaseDocument",
    "CaseEvent",
    "DipCategory",
    "DipItem",
    "IdScanView",
    "IntakeFile",
    "IntakeStatus",
    "LetterCounter",
    "MailMessage",
    "MailStatus",
    "Notice",
    "NoticeStatus",
    "RegisterCounter",
    "Submission",
    "SubmissionStatus",
    "Task",
    "UTCDateTime",
    "User",
    "WebSession",
    "case_dip_items",
    "fit_to_columns",
    "utcnow",
]
