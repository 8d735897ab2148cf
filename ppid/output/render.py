"""The one HTML-to-PDF path for every document we print: jinja2 templates rendered by WeasyPrint.

Templates live in the repository's `templates/` folder; autoescaping is on and an undefined name
is an error, so a letter never goes out with a silent blank. Fonts come from the system's
fontconfig (DejaVu, Liberation, the handwriting fonts), so rendering never touches the network.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from ppid.core.errors import BadInputError, ConfigError
from ppid.output.pdfa import ARCHIVAL, to_pdfa

log = logging.getLogger(__name__)

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"


def mm(value: float) -> str:
    """Format a length for CSS: `{{ rect.x|mm }}` → `64.00mm`."""
    return f"{value:.2f}mm"


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The shared jinja2 environment (one per process; templates are cached by jinja2)."""
    if not TEMPLATES_DIR.is_dir():
        raise ConfigError("template.folder_missing", folder=str(TEMPLATES_DIR))
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["mm"] = mm
    return env


def render_html(template: str, context: dict[str, Any]) -> str:
    """Render `template` (a path under templates/) to an HTML string."""
    try:
        return environment().get_template(template).render(**context)
    except jinja2.TemplateNotFound as error:
        raise ConfigError(
            "template.not_found", name=error.name, folder=str(TEMPLATES_DIR)
        ) from error
    except jinja2.UndefinedError as error:
        raise BadInputError(
            "template.undefined", template=template, problem=error.message
        ) from error


def render_pdf(
    template: str,
    context: dict[str, Any],
    out: Path | None = None,
    *,
    pdf_forms: bool = False,
    pdf_variant: str | None = None,
) -> bytes:
    """Render `template` with `context` to PDF bytes, also written to `out` when given.

    `pdf_forms` turns HTML inputs into AcroForm fields; `pdf_variant` "pdf/a-3b" asks WeasyPrint
    for an archival PDF and has it finished and proven by the PDF/A checker (`pdfa.to_pdfa`).
    Relative URLs in the template resolve against templates/.
    """
    import weasyprint  # slow import; only documents need it

    html = render_html(template, context)
    document = weasyprint.HTML(string=html, base_url=str(TEMPLATES_DIR) + "/")
    options: dict[str, Any] = {"pdf_forms": pdf_forms}
    if pdf_variant:
        options["pdf_variant"] = pdf_variant
    pdf = document.write_pdf(**options)
    if pdf_variant == ARCHIVAL:
        pdf = to_pdfa(pdf)
    if out is not None:
        save(pdf, out)
    return pdf


def save(pdf: bytes, out: Path) -> Path:
    """Write `pdf` to `out`, creating folders; a failure names the path and what to do."""
    out = Path(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(pdf)
    except OSError as error:
        raise BadInputError("output.cannot_write", path=str(out), problem=error.strerror) from error
    log.info("wrote %s (%d bytes)", out, len(pdf))
    return out
