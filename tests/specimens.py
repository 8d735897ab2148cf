"""Shared test inputs: the committed KTP sample with its truth, matching form values, CLI runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

SAMPLES = Path(__file__).parent / "corpus" / "samples"


def ktp_sample(name: str = "ktp_crop_000.jpg") -> tuple[Path, dict[str, Any]]:
    """A committed KTP scan and the fields printed on it (tests/corpus/samples/truth.jsonl)."""
    for line in (SAMPLES / "truth.jsonl").read_text().splitlines():
        truth = json.loads(line)
        if truth["file"] == name:
            return SAMPLES / name, truth["documents"][0]["fields"]
    raise AssertionError(f"tests/corpus/samples lacks {name}; regenerate the samples")


def objection_values(
    card: dict[str, Any],
    request_number: str = "012/PPID/X/2026",
    *,
    reasons: tuple[str, ...] = ("a", "c"),
    purpose: str = "Penelitian skripsi tentang koperasi",
    case_description: str = "Permohonan informasi saya tidak ditanggapi dalam sepuluh hari kerja.",
) -> dict[str, Any]:
    """Form values for the person on `card` (the NIKs agree, so intake can register it)."""
    return {
        "request_number": request_number,
        "purpose": purpose,
        "applicant": {
            "name": card["name"],
            "nik": card["nik"],
            "address": card["address"],
            "occupation": card["occupation"],
            "phone": "081234567890",
            "email": "pemohon@example.id",
        },
        "proxy": None,
        "reasons": list(reasons),
        "case_description": case_description,
        "place": "Pontianak",
        "date": "2026-11-20",
    }


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """`ppid ARGS` in-process through the real entry point: (exit code, stdout, stderr)."""
    from ppid.cli import main  # imported late: spawned test workers need not load the CLI

    try:
        main(list(args))
        code = 0
    except SystemExit as done:
        code = int(done.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err
