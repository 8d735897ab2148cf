"""One settings object for the whole product: `ppid.toml` plus `PPID_*` environment variables.

The names `PPID_HOME`, `PPID_INBOX`, `PPID_ARCHIVE` and `PPID_DATABASE_URL` are a contract other
tools rely on. Everything else has an embedded default so `make run` works with no file at all.
Precedence (highest first): keyword arguments, environment, `ppid.toml`, defaults.
"""

from __future__ import annotations

import os
from datetime import date, time
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from parsers.model import ExtractionLimits

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class WorkingHours(BaseModel):
    start: time
    end: time


def _default_working_hours() -> dict[str, WorkingHours]:
    monday_to_thursday = WorkingHours(start=time(7, 30), end=time(16, 0))
    return {
        "mon": monday_to_thursday,
        "tue": monday_to_thursday,
        "wed": monday_to_thursday,
        "thu": monday_to_thursday,
        "fri": WorkingHours(start=time(7, 30), end=time(16, 30)),
    }


class Office(BaseModel):
    """Identity printed on letterheads, forms and registers."""

    government: str = "PEMERINTAH PROVINSI KALIMANTAN BARAT"
    name: str = "DINAS KOPERASI, USAHA KECIL DAN MENENGAH"
    short_name: str = "Dinas Koperasi dan UKM Provinsi Kalimantan Barat"
    address: str = "Jalan Sutan Syahrir No. 1, Pontianak, Kalimantan Barat 78116"
    city: str = "Pontianak"
    phone: str = "(0561) 000000"
    email: str = "ppid@diskopukm.kalbarprov.go.id"
    website: str = "diskopukm.kalbarprov.go.id"
    ppid_name: str = "Nama PPID Pembantu"
    ppid_position: str = "PPID Pembantu Dinas Koperasi dan UKM Provinsi Kalimantan Barat"
    ppid_nip: str = ""
    atasan_name: str = "Nama Atasan PPID"
    atasan_position: str = "Kepala Dinas Koperasi dan UKM Provinsi Kalimantan Barat"
    atasan_nip: str = ""
    information_commission: str = "Komisi Informasi Provinsi Kalimantan Barat"


class Limits(BaseModel):
    """Bounds on what one input file may cost; beyond them it is refused with a reason."""

    max_file_mb: float = 100.0
    max_pages: int = 200
    max_pixels: int = 60_000_000
    max_seconds_per_file: float = 300.0

    def for_parsers(self) -> ExtractionLimits:
        """These limits in the units the parsers take (parsers read no settings)."""
        return ExtractionLimits(
            max_file_bytes=int(self.max_file_mb * 1024 * 1024),
            max_pages=self.max_pages,
            max_pixels=self.max_pixels,
            max_seconds=self.max_seconds_per_file,
        )


class Intake(BaseModel):
    """How the inbox and the intake pipeline behave."""

    stable_seconds: float = 2.0  # a file written in place is taken once it held still this long
    sweep_minutes: float = 3.0  # the scheduled sweep catches what the watcher missed
    polling: bool = False  # poll instead of inotify (network shares where inotify is silent)
    pairing_days: int = 7  # a form and an ID with the same NIK pair within this window
    duplicate_days: int = 30  # same NIK + request number within this window → flagged
    lease_minutes: float = 15.0  # a stale claim by a vanished process is taken over after this
    workers: int = 0  # warm worker processes in `ppid run`; 0: one per core, at most 4
    worker_nice: int = 5  # the workers' niceness, added: the web app and Prefect answer first
    prefect_port: int = 4200


class Prefect(BaseModel):
    """How flow runs are executed: `ppid run`'s own warm workers, or a Prefect work pool."""

    work_pool: str = ""  # set: deployments go on this process work pool; `ppid run` runs none
    # false: `ppid run` starts no warm worker; `ppid worker` on other machines runs the flow runs
    local_workers: bool = True
    ocr_slots: int = 0  # pages OCR'd at once per machine; 0: intake.workers' count, pool: cores
    # The Prefect UI's address as staff's browsers reach it (e.g. http://server:4200); empty: the
    # case pages link no flow runs (the server listens on 127.0.0.1, dead on any other PC).
    public_url: str = ""


class Mail(BaseModel):
    """E-mail intake: IMAP mailboxes read on a schedule, and the optional acknowledgement."""

    urls: list[SecretStr] = Field(default_factory=list)  # more mailboxes besides `mail_url`
    processed_folder: str = "Processed"  # where an ingested message is moved (mode "move")
    mode: Literal["move", "flag"] = "move"  # or keep it in place with the keyword below
    flag_keyword: str = "$PpidIngested"
    max_attachment_mb: float = 25.0  # a bigger attachment keeps the message back with a reason
    poll_seconds: float = 60.0  # the scheduled check of every mailbox
    retry_minutes: float = 1.0  # first wait after a failing message; doubles, at most a day
    timeout_seconds: float = 30.0  # network timeout per IMAP/SMTP operation
    ca_file: str = ""  # PEM file of CA(s) to trust for IMAP/SMTP TLS; empty: the system's
    acknowledge: bool = False  # reply to the applicant with the receipt PDF
    smtp_url: SecretStr | None = None  # smtps://user:pass@host:465, smtp://host:25?starttls=1
    smtp_from: str = ""  # sender of the acknowledgement; default: office.email


class Notices(BaseModel):
    """E-mails to applicants with the letter a step owes them, sent from an outbox that retries.

    Sent through `mail.smtp_url` (nothing is queued while it is unset) to the e-mail address on
    the case; a failed send waits `retry_minutes`, doubled after each failure up to
    `retry_max_minutes`, and is listed to the staff until it goes out.
    """

    enabled: bool = True
    poll_seconds: float = 60.0  # the scheduled send of what is due
    retry_minutes: float = 1.0
    retry_max_minutes: float = 360.0


class Public(BaseModel):
    """The public site where applicants file objections and follow them (`ppid run` starts it)."""

    enabled: bool = True
    host: str = "127.0.0.1"  # "0.0.0.0" to serve it beyond this machine (behind a TLS proxy)
    port: int = 8001
    # The address citizens type, e.g. "https://keberatan.example.go.id": links in e-mails point
    # there; "https://…" marks cookies Secure and adds Strict-Transport-Security.
    url: str = ""
    max_upload_mb: float = 10.0  # each uploaded file (KTP photo or PDF, surat kuasa)
    submissions_per_hour: int = 5  # objections filed from one address in an hour
    # The office's request numbers; a number of another shape is refused on the form, with the
    # example. Checked without regard to case.
    request_number_pattern: str = r"\d{1,5}/[A-Z0-9.\-]+(/[A-Z0-9.\-]+)*/\d{4}"
    request_number_example: str = "012/PPID-DKUKM/XI/2026"


def _default_task_due_days() -> dict[str, int]:
    return {"verify": 1, "examine": 5, "decide": 3, "fulfil": 10, "sign": 3, "signed": 5}


def _default_letter_number_formats() -> dict[str, str]:
    return {
        "perintah": "{seq:03d}/SP/PPID-DKUKM/{month_roman}/{year}",
        "tanggapan": "{seq:03d}/TKI/PPID-DKUKM/{month_roman}/{year}",
        "penolakan": "{seq:03d}/PNL/PPID-DKUKM/{month_roman}/{year}",
        "disposisi": "{seq:03d}/DSP/PPID-DKUKM/{month_roman}/{year}",
        "pengembalian": "{seq:03d}/PGB/PPID-DKUKM/{month_roman}/{year}",
    }


class Workflow(BaseModel):
    """The case workflow: working days each step may take, warnings, letter numbers."""

    task_due_days: dict[str, int] = Field(default_factory=_default_task_due_days)
    warning_days: int = 3  # warn when this many working days or fewer remain
    release_working_days: int = 10  # period to release information the Atasan orders released
    letter_number_formats: dict[str, str] = Field(default_factory=_default_letter_number_formats)
    notify: dict[str, str] = Field(default_factory=dict)  # role -> e-mail for deadline warnings
    deadline_check_cron: str = "0 7 * * 1-5"  # the daily deadline check (office time)
    wait_for_signed_copy: bool = True  # after "send", wait for the signed copy scanned back
    step_timeout_seconds: float = 120.0  # how long `case advance` waits for the step's flow run


def _default_retention_years() -> dict[str, int]:
    return {"id_card": 2, "form": 10, "receipt": 10, "letter": 10, "signed": 10, "other": 10}


class Archival(BaseModel):
    """The case archive (ppid/archive/bags.py): fixity checks, records schedule, printing."""

    verify_cron: str = "0 2 * * 1"  # weekly fixity check of every bag (cron, office time zone)
    # Records schedule (JRA): years after a case closes before a document type is due for
    # destruction; ID scans (personal data, UU 27/2022) go first. Keys: CaseDocument roles.
    retention_years: dict[str, int] = Field(default_factory=_default_retention_years)
    printer: str = ""  # CUPS printer name for `ppid print` (via `lp`); empty: PDFs in archive/print


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PPID_",
        env_nested_delimiter="__",
        extra="ignore",
    )

    home: Path = Field(default_factory=Path.cwd)
    inbox: Path | None = None
    archive: Path | None = None
    quarantine: Path | None = None
    database_url: str | None = None
    database_busy_seconds: float = 30.0  # SQLite: how long a write waits for another's lock

    office: Office = Field(default_factory=Office)
    timezone: str = "Asia/Pontianak"
    working_hours: dict[str, WorkingHours] = Field(default_factory=_default_working_hours)
    # National holidays and cuti bersama come from the `holidays` package (ppid/core/calendar.py);
    # these only change it: days the office is closed beyond it (a decree the package does not
    # have yet, a regional holiday), named; and days it lists that the office works anyway.
    days_off: dict[date, str] = Field(default_factory=dict)
    working_days: list[date] = Field(default_factory=list)
    register_number_format: str = "{seq:03d}/KEB/PPID-DKUKM/{month_roman}/{year}"
    answer_deadline_working_days: int = 30
    dispute_window_working_days: int = 14

    limits: Limits = Field(default_factory=Limits)
    intake: Intake = Field(default_factory=Intake)
    prefect: Prefect = Field(default_factory=Prefect)
    archival: Archival = Field(default_factory=Archival)
    workflow: Workflow = Field(default_factory=Workflow)
    mail_url: SecretStr | None = None
    mail: Mail = Field(default_factory=Mail)
    notices: Notices = Field(default_factory=Notices)
    public: Public = Field(default_factory=Public)
    # Signs sessions, CSRF tokens and links; unset: one made at first start in var/ (secretkey.py).
    secret_key: SecretStr | None = None
    web_host: str = "127.0.0.1"
    web_port: int = 8000
    # The address people type to reach the web app; "https://…" marks cookies Secure, adds HSTS.
    web_public_url: str = ""
    # Reverse proxies (addresses or networks) whose X-Forwarded-For names the real client; from
    # anyone else the header is ignored (it could be written by the client itself).
    web_trusted_proxies: list[str] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _refuse_the_old_cuti_bersama_list(cls, data: Any) -> Any:
        if isinstance(data, dict) and "cuti_bersama" in data:
            raise ValueError(
                "cuti_bersama is no longer a setting: cuti bersama come with the holidays "
                "package (see `ppid calendar YEAR`); remove it, and put a day the package "
                'lacks in [days_off] as "YYYY-MM-DD" = "Cuti bersama …"'
            )
        return data

    @model_validator(mode="after")
    def _fill_defaults_under_home(self) -> Settings:
        self.home = self.home.expanduser().resolve()
        self.inbox = (self.inbox or self.home / "inbox").expanduser()
        self.archive = (self.archive or self.home / "archive").expanduser()
        self.quarantine = (self.quarantine or self.inbox.parent / "quarantine").expanduser()
        if self.database_url is None:
            self.database_url = f"sqlite:///{self.var_dir / 'ppid.sqlite3'}"
        unknown = set(self.working_hours) - set(WEEKDAYS)
        if unknown:
            raise ValueError(f"working_hours: unknown weekday(s) {sorted(unknown)}; use {WEEKDAYS}")
        return self

    @property
    def var_dir(self) -> Path:
        """Runtime state (database, Prefect home, logs, locks); never archived."""
        return self.home / "var"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=config_path())
        return init_settings, env_settings, toml, file_secret_settings


def config_path() -> Path:
    """`PPID_CONFIG` if set, else `<PPID_HOME or cwd>/ppid.toml` (it may not exist)."""
    if explicit := os.environ.get("PPID_CONFIG"):
        return Path(explicit)
    return Path(os.environ.get("PPID_HOME") or Path.cwd()) / "ppid.toml"


def load_settings(**overrides: Any) -> Settings:
    """Read the effective settings; callers pass the object down rather than re-reading it."""
    return Settings(**overrides)


def settings_for_display(settings: Settings) -> dict[str, Any]:
    """The effective settings as plain data, secrets hidden (passwords inside URLs too)."""
    data = settings.model_dump(mode="json")
    for key in ("mail_url", "secret_key"):
        if data.get(key):
            data[key] = "********"
    if data.get("database_url"):
        data["database_url"] = _hide_url_password(data["database_url"])
    return data


def _hide_url_password(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    credentials, _, host = rest.rpartition("@")
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:********@{host}"
