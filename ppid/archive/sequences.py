"""The stage sequences that end with the archive, bound to the plain functions (no Prefect).

`Registration` (intake) and `CaseStep` (casework) define each order once; the flows bind them to
their Prefect tasks, and these bindings serve what runs without a flow run: the intake desk's
joined submission, and a case step taken while Prefect is not running.
"""

from __future__ import annotations

from ppid.archive.bags import archive_case
from ppid.casework.workflow import CaseStep, advance_number
from ppid.intake.steps import Registration, check_and_register, issue_receipt

REGISTER_SUBMISSION = Registration(
    register=check_and_register, issue_receipt=issue_receipt, archive=archive_case
)
DIRECT_STEP = CaseStep(take=advance_number, archive=archive_case)
