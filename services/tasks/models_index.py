"""Every table of the service, imported so the shared metadata knows them all (migrations,
``create_all``), whichever concept a caller happened to import first."""

from services.tasks.access.models import ApiToken
from services.tasks.accounts.models import Account, AccountSession
from services.tasks.audit import AuditEntry
from services.tasks.calendar.models import HolidayOverride, HolidayYear
from services.tasks.directory.models import Leader, Unit
from services.tasks.lifecycle.models import Assignment, Indicator, Milestone, Task
from services.tasks.progress.models import ProgressReport
from services.tasks.registration.models import Document, ReportingRound
from services.tasks.reminders.models import (
    ReminderPolicyRow,
    ReminderRequest,
    ScanMark,
    ScanState,
    SchedulerLease,
)
from services.tasks.supervision.models import ExtensionRequest, Urge

MODELS = (
    ApiToken,
    Account,
    AccountSession,
    AuditEntry,
    HolidayOverride,
    HolidayYear,
    Leader,
    Unit,
    Assignment,
    Indicator,
    Milestone,
    Task,
    ProgressReport,
    Document,
    ReportingRound,
    ReminderPolicyRow,
    ReminderRequest,
    ScanMark,
    ScanState,
    SchedulerLease,
    ExtensionRequest,
    Urge,
)
