"""Where everything lives on disk: the one owner of every path under the configured folders.

Settings name the roots (`home`, `inbox`, `archive`, `quarantine`, `var/`); every path below them
is computed here and nowhere else. The archive holds the intake's content store
(`originals/<sha[:2]>/<sha>/<name>`, `mail/<sha[:2]>/<sha>.eml`), one BagIt bag per case
(`<year>/<slug>/`, later versions `<slug>_v2`, ...), the daily print batches (`print/`) and the
offline index (`index.html`). `var/` holds runtime state that is never archived: locks, run
files, logs, the Prefect home, caches and scratch folders.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

from ppid.core.files import safe_name
from ppid.core.models import Case
from ppid.core.settings import Settings

# The checkout: flows are loaded by their entrypoints relative to it (flows/intake.py, ...).
CHECKOUT = Path(__file__).resolve().parents[2]

RECEIPT_NAME = "01-tanda-terima.pdf"
FORM_COPY_NAME = "02-salinan-formulir.pdf"  # the numbered form copy, beside the receipt
DOSSIER_NAME = "00-berkas-lengkap.pdf"  # the dossier of a sealed bag: read, never printed
SEALED_KEY = "PPID-Sealed"  # in bag-info.txt: the bag is sealed and never written again


# --- the archive ------------------------------------------------------------------------------


def archive_root(settings: Settings) -> Path:
    assert settings.archive is not None  # filled in by Settings
    return settings.archive


def archived(settings: Settings, relative: str | Path) -> Path:
    """A file of the archive by the relative path the database keeps (`CaseDocument.path`)."""
    return archive_root(settings) / relative


def stored_original(sha256: str, name: str) -> Path:
    """Where the content store keeps a received file, relative to the archive."""
    return Path("originals", sha256[:2], sha256, name)


def stored_mail(sha256: str) -> Path:
    """Where a received e-mail's raw `.eml` is kept, relative to the archive."""
    return Path("mail", sha256[:2], f"{sha256}.eml")


def print_folder(settings: Settings) -> Path:
    return archive_root(settings) / "print"


def index_page(settings: Settings) -> Path:
    return archive_root(settings) / "index.html"


# --- a case's bag -----------------------------------------------------------------------------


def case_slug(case: Case) -> str:
    """The case's folder name: its register number made safe as a name."""
    return safe_name((case.number or f"case-{case.id}").replace("/", "-"))


def year_folder(settings: Settings, year: int | None) -> Path:
    return archive_root(settings) / str(year)


def year_folders(settings: Settings, year: int | None = None) -> list[Path]:
    """The archive's year folders (`2026/`, ...), or only `year`'s."""
    if year:
        return [year_folder(settings, year)]
    return sorted(archive_root(settings).glob("[0-9]" * 4))


def bags_by_slug(names: list[str]) -> dict[str, list[str]]:
    """A year folder's entries grouped by case: slug → its bags' names, oldest version first
    (`<slug>`, `<slug>_v2`, ...). One pass over the folder serves every case in it."""
    numbered: dict[str, list[tuple[int, str]]] = {}
    for name in names:
        slug, version = name, 1
        base, sep, digits = name.rpartition("_v")
        if sep and base and digits.isdigit():
            slug, version = base, int(digits)
        numbered.setdefault(slug, []).append((version, name))
    return {slug: [name for _, name in sorted(found)] for slug, found in numbered.items()}


def bag_versions(settings: Settings, case: Case) -> list[Path]:
    """Existing bags of the case, oldest first: `<slug>`, `<slug>_v2`, ..."""
    folder = year_folder(settings, case.year)
    slug = case_slug(case)
    names = [p.name for p in folder.glob(slug + "*")] if folder.is_dir() else []
    return [folder / name for name in bags_by_slug(names).get(slug, [])]


def current_bag(settings: Settings, case: Case) -> Path:
    """The bag now written to: the latest version (the first path when none exists yet)."""
    versions = bag_versions(settings, case)
    return versions[-1] if versions else year_folder(settings, case.year) / case_slug(case)


def next_bag_version(settings: Settings, case: Case) -> Path:
    """The folder of the case's next bag version, beside its sealed ones."""
    number = len(bag_versions(settings, case)) + 1
    return year_folder(settings, case.year) / f"{case_slug(case)}_v{number}"


def iter_bags(settings: Settings, year: int | None = None) -> Iterator[Path]:
    """Every bag in the archive (a folder `<year>/<slug>` with bagit.txt), in path order."""
    for folder in year_folders(settings, year):
        yield from sorted(p for p in folder.glob("*") if (p / "bagit.txt").is_file())


def bag_originals(bag: Path) -> Path:
    return bag / "data" / "originals"


def bag_outputs(bag: Path) -> Path:
    return bag / "data" / "outputs"


def bag_metadata(bag: Path) -> Path:
    return bag / "data" / "metadata"


def bag_info(bag: Path) -> dict[str, str]:
    """The bag's `bag-info.txt` as a dict (empty when the bag has none yet)."""
    info: dict[str, str] = {}
    path = bag / "bag-info.txt"
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            key, sep, value = line.partition(":")
            if sep and not line.startswith((" ", "\t")):
                info[key.strip()] = value.strip()
    return info


def is_sealed(bag: Path) -> bool:
    return SEALED_KEY in bag_info(bag)


def output_folder(settings: Settings, case: Case) -> Path:
    """Where a new output of the case goes: `data/outputs/` of its open bag.

    A sealed bag is never written to: the output waits beside it in `<slug>.new/` and the next
    archive update moves it into a new version of the bag.
    """
    bag = current_bag(settings, case)
    if is_sealed(bag):
        return bag.with_name(bag.name + ".new")
    return bag_outputs(bag)


def next_output_path(settings: Settings, case: Case, stem: str) -> Path:
    """`NN-stem.pdf`, NN one past the PDFs already there (a remade letter never overwrites)."""
    outputs = output_folder(settings, case)
    taken = [p.name for p in outputs.glob("*.pdf")] if outputs.is_dir() else []
    numbers = [int(name[:2]) for name in taken if name[:2].isdigit()]
    return outputs / f"{max(numbers, default=0) + 1:02d}-{stem}.pdf"


def form_copy_path(receipt: Path) -> Path:
    """The numbered form copy beside a receipt `NN-tanda-terima.pdf`: the next number."""
    number = int(receipt.name[:2]) if receipt.name[:2].isdigit() else 1
    return receipt.with_name(f"{number + 1:02d}-{FORM_COPY_NAME[3:]}")


def receipt_path(settings: Settings, case: Case) -> Path:
    """The receipt of a newly registered case (its numbered form copy goes beside it)."""
    return output_folder(settings, case) / RECEIPT_NAME


# --- var/: runtime state, never archived ------------------------------------------------------


def lock_file(settings: Settings, name: str) -> Path:
    """A lock between processes of this machine (`ppid.core.locks`), by name."""
    return settings.var_dir / "locks" / f"{name}.lock"


def run_folder(settings: Settings) -> Path:
    """`ppid run`'s state: its lock and address file, workers' ready files, the OCR slots."""
    return settings.var_dir / "run"


def log_folder(settings: Settings) -> Path:
    """Logs of `ppid run`'s children: the Prefect server and each worker."""
    return settings.var_dir / "log"


def log_file(settings: Settings, name: str) -> Path:
    return log_folder(settings) / f"{name}.log"


def prefect_home(settings: Settings) -> Path:
    return settings.var_dir / "prefect"


def ocr_slot_folder(settings: Settings) -> Path:
    """Where this machine's OCR slots live: per host, since a shared `var/` may serve several."""
    return run_folder(settings) / f"ocr-{socket.gethostname()}"


def holiday_tables(settings: Settings) -> Path:
    """The `holidays` package's table of each year, kept by its version (ppid/core/calendar.py)."""
    return settings.var_dir / "holidays"


def crop_cache(settings: Settings) -> Path:
    """Rasterised pages of archived scans, for the crops beside each field on the case page."""
    return settings.var_dir / "crops"


def package_folder(settings: Settings) -> Path:
    """ZIP packages of case bags being downloaded (each removed once sent)."""
    return settings.var_dir / "packages"


def mail_work_folder(settings: Settings, message_id: int) -> Path:
    """Scratch folder of one e-mail's attachments while they go through intake."""
    return settings.var_dir / "mail" / str(message_id)


def web_work_folder(settings: Settings, key: str) -> Path:
    """Scratch folder of one objection filed on the public site while it goes through intake."""
    return settings.var_dir / "web" / key


# --- quarantine ---------------------------------------------------------------------------------


def quarantine_root(settings: Settings) -> Path:
    assert settings.quarantine is not None  # filled in by Settings
    return settings.quarantine


def mail_quarantine(settings: Settings) -> Path:
    """E-mail attachments that cannot be read: `quarantine/email/<message>/`."""
    return quarantine_root(settings) / "email"
