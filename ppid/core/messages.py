"""Every text a person reads that no template holds, in Bahasa Indonesia; errors with stable codes.

Users read Bahasa Indonesia only. An error carries a code (`ppid.core.errors.PpidError`); the web
app shows `user_text(code)`, the CLI and the logs keep the English operator text beside it
(`operator_text(code)`). Besides errors the catalogue holds the step validation texts, success
notices, history labels and notes, quarantine notes, the e-mails no template holds, notes in files
(DITAHAN.txt, the dossier, bag metadata), page titles and words, field and decision labels of
the pages, and the Indonesian reading of the extraction's English notes (`reading_note`) and
refusals (`refusal_text`), which come from `parsers/` (that package speaks English to operators
and imports nothing of ours).

The errors are `ERRORS` here, kept by area beside this module (`messages_errors_casework`,
`messages_errors_system`, `messages_errors_web`, and those of running the system and the command
line here); the other tables beside it (`messages_notes`, `messages_pages`, `messages_readings`) are
all read through it, and the shape of a text is in `messages_text`.

Placeholders are `str.format` fields; a list or tuple value is joined with commas, so a Python
list never reaches a page. tests/test_messages.py checks that every raise names a code that is
here, with the placeholders both texts use, that no Indonesian text slips into English, and that
no Indonesian sentence stands elsewhere in the product (but for the vocabulary's labels and the
few places that test names).
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from functools import cache
from typing import Any

from ppid.core.messages_errors_casework import CASEWORK_ERRORS
from ppid.core.messages_errors_system import SYSTEM_ERRORS
from ppid.core.messages_errors_web import WEB_ERRORS
from ppid.core.messages_notes import (
    FILE_NOTES,
    HISTORY_NOTES,
    MAIL_TEXTS,
    NOTICES,
    QUARANTINE,
    QUARANTINE_MARKERS,
    QUARANTINE_NOTE,
    SPECIAL_FILES,
    file_note,
    history_note,
    mail_text,
    notice,
    quarantine_note,
    quarantine_texts,
)
from ppid.core.messages_pages import (
    ACTION_LABELS,
    CONFIRM_TEXTS,
    DECISION_TEXTS,
    FIELD_LABELS,
    LETTER_TEXT_HINTS,
    NOTE_HINTS,
    PAGE_TITLES,
    PAGE_WORDS,
    PUBLIC_FORM_LABELS,
    SYSTEM_ACTORS,
    action_label,
    actor_label,
    field_label,
    page_title,
    page_words,
)
from ppid.core.messages_readings import (
    UNKNOWN_NOTE,
    UNKNOWN_REFUSAL,
    reading_note,
    refusal_text,
)
from ppid.core.messages_text import (
    ADMIN,
    Text,
    fill,
    placeholders,
)

# The catalogue is this module: the tables beside it are read through it.
__all__ = [
    "ACTION_LABELS",
    "ADMIN",
    "CONFIRM_TEXTS",
    "DECISION_TEXTS",
    "ERRORS",
    "ERROR_TITLES",
    "FIELD_LABELS",
    "FILE_NOTES",
    "HISTORY_NOTES",
    "LETTER_TEXT_HINTS",
    "MAIL_TEXTS",
    "NOTE_HINTS",
    "NOTICES",
    "PAGE_TITLES",
    "PAGE_WORDS",
    "PUBLIC_FORM_LABELS",
    "QUARANTINE",
    "QUARANTINE_MARKERS",
    "QUARANTINE_NOTE",
    "SPECIAL_FILES",
    "SYSTEM_ACTORS",
    "UNKNOWN_ERROR",
    "UNKNOWN_NOTE",
    "UNKNOWN_REFUSAL",
    "Text",
    "action_label",
    "actor_label",
    "error_field",
    "field_label",
    "file_note",
    "fill",
    "history_note",
    "mail_text",
    "notice",
    "operator_text",
    "page_title",
    "page_words",
    "placeholders",
    "quarantine_note",
    "quarantine_texts",
    "reading_note",
    "recognise",
    "refusal_text",
    "user_text",
]


# --- errors, by code ------------------------------------------------------------------------------

ERRORS: dict[str, Text] = {
    **CASEWORK_ERRORS,
    **SYSTEM_ERRORS,
    **WEB_ERRORS,
    # running the system
    "run.already": Text(
        "Sistem sudah berjalan untuk folder ini.",
        "ppid is already running for {home} ({holder}); stop it with Ctrl-C in its terminal "
        "before starting another",
    ),
    "run.web_port": Text(
        "Aplikasi web tidak dapat dijalankan pada port {port}; " + ADMIN + ".",
        "the web app could not listen on {host}:{port}; is the port taken? set web_port",
    ),
    "run.public_port": Text(
        "Situs publik tidak dapat dijalankan pada port {port}; " + ADMIN + ".",
        "the public site could not listen on {host}:{port}; is the port taken? set public.port",
    ),
    "prefect.port_taken": Text(
        "Port {port} sudah dipakai; " + ADMIN + ".",
        "port {port} already serves a Prefect server; set intake.prefect_port",
    ),
    "prefect.stopped": Text(
        "Sistem pemroses berhenti saat dimulai; " + ADMIN + ".",
        "the Prefect server stopped at start-up; see {log}",
    ),
    "prefect.silent_start": Text(
        "Sistem pemroses tidak menjawab saat dimulai; " + ADMIN + ".",
        "the Prefect server did not answer within 120 s; see {log}",
    ),
    "prefect.silent": Text(
        "Sistem pemroses tidak menjawab; " + ADMIN + ".",
        "the Prefect server at {api} has not answered for {seconds} s; stopping. Start "
        "`ppid run` again (files that arrive meanwhile wait in the inbox)",
    ),
    "prefect.absent": Text(
        "Sistem pemroses belum berjalan; " + ADMIN + ".",
        "no Prefect server to take flow runs from: set PREFECT_API_URL to the shared server's "
        "API (http://host:4200/api), or start `ppid run` on this home first",
    ),
    "prefect.changed": Text(
        "Versi sistem pemroses tidak sesuai dengan yang dipasang; " + ADMIN + ".",
        "ppid's changes to Prefect (written for Prefect {series}) do not fit the installed "
        "Prefect {installed}: {problems}. Reinstall the locked environment (`make setup`); to "
        "move to this Prefect, follow ppid/runtime/prefect_patches.py",
    ),
    "prefect.not_http": Text(
        "Alamat sistem pemroses tidak valid; " + ADMIN + ".",
        "the Prefect API {api!r} is not an http(s) address",
    ),
    "prefect.refused": Text(
        "Sistem pemroses menolak permintaan; " + ADMIN + ".",
        "the Prefect server at {api} answered {status} to {request}: {detail}",
    ),
    "prefect.no_answer": Text(
        "Sistem pemroses tidak menjawab; coba lagi sebentar lagi.",
        "the Prefect server at {api} did not answer ({problem})",
    ),
    "prefect.unreachable": Text(
        "Sistem pemroses tidak menjawab; " + ADMIN + ".",
        "the Prefect server at {api} (PREFECT_API_URL) does not answer; start it, or unset "
        "PREFECT_API_URL to let `ppid run` start its own",
    ),
    "worker.no_api": Text(
        "Sistem pemroses tidak menjawab; " + ADMIN + ".",
        "the Prefect server at {api} does not answer; check PREFECT_API_URL and that the "
        "server runs",
    ),
    "worker.no_deployments": Text(
        "Sistem pemroses belum siap; " + ADMIN + ".",
        "the Prefect server at {api} has no deployment {missing}: start `ppid run` on the "
        "main machine first (it registers them), then this worker again",
    ),
    "worker.no_database": Text(
        "Basis data tidak dapat dihubungi; " + ADMIN + ".",
        "cannot reach the register's database {url}: {problem}",
    ),
    "worker.no_start": Text(
        "Pemroses berkas tidak dapat dimulai; " + ADMIN + ".",
        "a flow-run worker did not start; see {log}",
    ),
    "schedule.fields": Text(
        "Jadwal “{cron}” tidak valid; " + ADMIN + ".",
        "schedule {cron!r} is not a five-field cron line (minute hour day month weekday)",
    ),
    "schedule.day_and_weekday": Text(
        "Jadwal “{cron}” tidak valid; " + ADMIN + ".",
        "schedule {cron!r}: give a day of the month or a weekday, not both",
    ),
    "schedule.unreadable": Text(
        "Jadwal “{cron}” tidak valid; " + ADMIN + ".",
        "schedule {cron!r}: cannot read {part!r}",
    ),
    "schedule.range": Text(
        "Jadwal “{cron}” tidak valid; " + ADMIN + ".",
        "schedule {cron!r}: {part!r} is outside {low}-{high}",
    ),
    # the command line
    "cli.bad_set": Text(
        "Isian koreksi harus berbentuk KOLOM=NILAI.", "--set takes FIELD=VALUE, got {bad}"
    ),
    "cli.unreadable_files": Text(
        "{failed} dari {total} berkas tidak dapat dibaca.",
        "{failed} of {total} file(s) could not be read; see the errors above",
    ),
}
# The title of an error page, by HTTP status.
ERROR_TITLES = {
    400: "Permintaan tidak dapat diproses",
    403: "Akses ditolak",
    404: "Tidak ditemukan",
    409: "Tidak dapat dilakukan",
    429: "Terlalu banyak percobaan",
    500: "Kesalahan",
}
# What a person sees for an error whose code is not in the catalogue (a defect, logged).
UNKNOWN_ERROR = "Permintaan tidak dapat diproses. Coba lagi; bila berulang, " + ADMIN + "."


def user_text(code: str, params: Mapping[str, Any] | None = None) -> str:
    """The Indonesian text of error `code` (what pages show)."""
    entry = ERRORS.get(code)
    return fill(entry.id, params or {}) if entry else UNKNOWN_ERROR


def operator_text(code: str, params: Mapping[str, Any] | None = None) -> str:
    """The English text of error `code` (what the CLI and the logs show)."""
    entry = ERRORS.get(code)
    return fill(entry.en, params or {}) if entry else code


def error_field(code: str) -> str | None:
    """The form field an error belongs beside, if any."""
    entry = ERRORS.get(code)
    return entry.field if entry else None


def recognise(english: str) -> tuple[str, dict[str, str]] | None:
    """The code and values of an operator text, read back (an error that crossed a process as
    text, e.g. a failed flow run's message); None when no entry says it."""
    for code, entry in ERRORS.items():
        if found := _pattern(entry.en).fullmatch(english.strip()):
            return code, {name: value.strip("'") for name, value in found.groupdict().items()}
    return None


@cache
def _pattern(template: str) -> re.Pattern[str]:
    parts, seen = [], set()
    for literal, name, _, _ in string.Formatter().parse(template):
        parts.append(re.escape(literal))
        if name:
            parts.append(f"(?P={name})" if name in seen else f"(?P<{name}>.+?)")
            seen.add(name)
    return re.compile("".join(parts), re.DOTALL)
