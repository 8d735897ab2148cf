"""Files as the archive keeps them: their content hash and a name safe on every share."""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from pathlib import Path

MAX_NAME_BYTES = 120


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def safe_name(name: str | bytes, fallback: str = "berkas") -> str:
    """A file name safe on every share: no path parts, no control characters, bounded length."""
    if isinstance(name, str):
        name = name_bytes(name)
    name = name.decode("utf-8", errors="replace")
    name = unicodedata.normalize("NFC", name).replace("\\", "/").split("/")[-1]
    name = re.sub(r"[\x00-\x1f\x7f-\x9f<>:\"|?*]", "_", name).strip(" .")
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    suffix = suffix[:10]
    encoded_stem = stem.encode("utf-8")[: MAX_NAME_BYTES - len(suffix.encode("utf-8")) - 1]
    stem = encoded_stem.decode("utf-8", errors="ignore").strip(" .") or fallback
    return f"{stem}.{suffix}" if suffix else stem


def name_bytes(name: str) -> bytes:
    """The bytes of a name; one that was not UTF-8 on disk arrives as lone surrogates."""
    try:
        return name.encode("utf-8", errors="surrogateescape")
    except UnicodeEncodeError:  # surrogates that no file system produced: replace them
        return name.encode("utf-8", errors="replace")


def replace_text(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file renamed into place: a reader sees the
    old or the new file, never half of one (each writing process has its own temporary)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
