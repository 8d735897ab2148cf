"""The words every subsystem shares: case statuses, roles, SOP steps, reasons, decisions, labels.

Values are what the database stores; labels (Bahasa Indonesia) are what people read. Each fact
is defined here once: the register, the letters, the web pages, the archive and the CLI import it.
"""

from __future__ import annotations

from enum import StrEnum

from ppid.core.errors import BadInputError


class CaseStatus(StrEnum):
    """Where a case stands in the SOP; values are stored, labels (Indonesian) are shown."""

    RECEIVED = "received"
    REGISTERED = "registered"
    EXAMINING = "examining"
    AWAITING_DECISION = "awaiting_decision"
    ORDERED = "ordered"
    FULFILLING = "fulfilling"
    ANSWERED = "answered"
    REJECTED = "rejected"
    DISMISSED = "dismissed"
    CLOSED = "closed"


STATUS_LABELS: dict[CaseStatus, str] = {
    CaseStatus.RECEIVED: "Diterima",
    CaseStatus.REGISTERED: "Teregistrasi",
    CaseStatus.EXAMINING: "Diperiksa Bidang",
    CaseStatus.AWAITING_DECISION: "Menunggu keputusan Atasan PPID",
    CaseStatus.ORDERED: "Diperintahkan untuk ditanggapi",
    CaseStatus.FULFILLING: "Dalam pemenuhan",
    CaseStatus.ANSWERED: "Ditanggapi",
    CaseStatus.REJECTED: "Ditolak",
    CaseStatus.DISMISSED: "Tidak ditindaklanjuti",
    CaseStatus.CLOSED: "Selesai",
}
# Statuses in which the office has given its answer (or ended the case): no longer "open".
ANSWERED_STATUSES = (
    CaseStatus.ANSWERED,
    CaseStatus.REJECTED,
    CaseStatus.DISMISSED,
    CaseStatus.CLOSED,
)


class Role(StrEnum):
    """The SOP's actors inside the office (the applicant is not a user role)."""

    PETUGAS = "petugas"
    BIDANG = "bidang"
    ATASAN = "atasan"


ROLE_LABELS: dict[Role, str] = {
    Role.PETUGAS: "Petugas Pelayanan Informasi dan Dokumentasi",
    Role.BIDANG: "Bidang Pelayanan Informasi dan Dokumentasi",
    Role.ATASAN: "Atasan PPID",
}


def parse_role(role: Role | str) -> Role:
    """A role from its name ("Bidang", " atasan "); an unknown one says which exist."""
    try:
        return Role(str(role).strip().lower())
    except ValueError:
        choices = ", ".join(r.value for r in Role)
        raise BadInputError("role.unknown", role=str(role), choices=choices) from None


class TaskStatus(StrEnum):
    OPEN = "open"
    DONE = "done"


class DocumentKind(StrEnum):
    """Why a file is in the case folder: what came in, what we made, what came back signed."""

    ORIGINAL = "original"
    OUTPUT = "output"
    SIGNED = "signed"


# What each document of a case is, by its role (CaseDocument.role).
DOCUMENT_LABELS = {
    "form": "Formulir keberatan",
    "id_card": "KTP pemohon",
    "receipt": "Tanda terima",
    "perintah": "Surat perintah",
    "tanggapan": "Tanggapan atas keberatan",
    "penolakan": "Surat penolakan",
    "disposisi": "Lembar disposisi",
    "pengembalian": "Surat pengembalian berkas",
    "other": "Berkas lain",
}

# The SOP's steps after registration, in order, by the name tasks and events store.
STEP_LABELS = {
    "verify": "Verifikasi data dan kelengkapan",
    "examine": "Pemeriksaan dan rekomendasi",
    "decide": "Keputusan Atasan PPID",
    "fulfil": "Pemenuhan informasi (DIP)",
    "sign": "Penandatanganan dan pengiriman surat",
    "signed": "Menunggu salinan bertanda tangan",
    "close": "Tanggapan pemohon dan penutupan",
}


def step_label(step: str) -> str:
    """The Indonesian name of a step; an unknown name as it is."""
    return STEP_LABELS.get(step, step)


# How an objection reached the office (Case.channel), for the case page and the reports.
CHANNEL_LABELS = {
    "scan": "Kertas (dipindai)",
    "email": "E-mail",
    "web": "Situs web",
    "loket": "Loket",
}
CHANNEL_UNRECORDED = "Tidak tercatat"

# Objection reasons of UU 14/2008 Pasal 35(1), by the letter the form ticks.
REASON_TEXTS = {
    "a": "Permohonan informasi ditolak",
    "b": "Informasi berkala tidak disediakan",
    "c": "Permintaan informasi tidak ditanggapi",
    "d": "Permintaan informasi ditanggapi tidak sebagaimana yang diminta",
    "e": "Permintaan informasi tidak dipenuhi",
    "f": "Pengenaan biaya yang tidak wajar",
    "g": "Penyampaian informasi yang melebihi waktu yang diatur",
}
REASON_LETTERS = "".join(REASON_TEXTS)

# The register's "decision" column: how the objection ended (Case.decision).
DECISION_LABELS = {
    "returned": "Dikembalikan kepada pemohon",
    "dismissed": "Keberatan ditolak (keputusan PPID dikuatkan)",
    "released": "Keberatan diterima, informasi diberikan",
    "exempt": "Informasi dikecualikan (Pasal 17)",
    "not_held": "Informasi tidak dikuasai",
}
# The applicant's reaction to the answer, by the closing step's decision.
RESPONSE_LABELS = {
    "accepted": "Menerima tanggapan",
    "dispute": "Mengajukan sengketa ke Komisi Informasi",
    "no_response": "Tidak ada tanggapan",
}
