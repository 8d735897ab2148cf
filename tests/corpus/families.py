"""Rendering families of the corpus and the split between tuning and held-out data.

A family is an independent way of making the same kinds of input: its own people, card and form
renderings, label wordings, fonts and captures. Parsers are tuned on the `tuning` families only;
the `heldout` family is never looked at while tuning, and its figures are the headline.
"""

from __future__ import annotations

from dataclasses import dataclass

from .cards import CardLook
from .kinds import MAKERS, Maker
from .lookalikes import FamilyLook, makers_for
from .offices import PaperLook
from .wording import WORDING_B, WORDING_C


@dataclass(frozen=True)
class Family:
    name: str
    about: str
    makers: dict[str, Maker]


LOOK_B = FamilyLook(
    card=CardLook(
        fonts=("Liberation Sans", "FreeSans", "DejaVu Sans Condensed"),
        birth_labels=("Tempat/Tgl Lahir", "Tempat/Tgl. Lahir"),
        blood_labels=("Gol. Darah", "Gol Darah"),
        rtrw_labels=("RT/RW",),
        village_labels=("Kel/Desa",),
        colon_styles=("column", "value"),
        backgrounds=("gradient", "guilloche"),
        photo_places=("right", "right-low"),
        tints=(((176, 212, 238), (226, 242, 236)), ((196, 226, 214), (238, 240, 220))),
    ),
    paper=PaperLook(
        wording=WORDING_B,
        layouts=("ruled", "colon"),
        letters=("lines",),
        fonts=("Liberation Sans", "FreeSerif", "DejaVu Sans Condensed"),
        hand_fonts=("Breip", "Humor Sans", "Comic Neue"),
        offices=(
            ("PEMERINTAH KABUPATEN MEMPAWAH", "DINAS KOPERASI DAN UKM", "Jl. Raden Kusno No. 12"),
            ("PEMERINTAH PROVINSI KALIMANTAN TENGAH", "PPID PELAKSANA DISKOMINFO", "Palangka Raya"),
            ("PEMERINTAH KOTA SINGKAWANG", "PPID KOTA SINGKAWANG", "Jl. Firdaus H. Rais No. 1"),
        ),
        identity_first=0.3,
    ),
    typed_fonts=("FreeMono", "Liberation Mono"),
    hand_fonts=("Breip", "Humor Sans"),
    home_share=0.5,
)
LOOK_C = FamilyLook(
    card=CardLook(
        fonts=("Nimbus Sans", "Nimbus Sans Narrow", "DejaVu Sans"),
        birth_labels=("Tempat / Tgl Lahir", "Tempat/Tgl Lahir", "Tempat/Tgl.Lahir"),
        blood_labels=("Gol.Darah", "Gol. Darah"),
        rtrw_labels=("RT / RW", "RT/RW"),
        village_labels=("Kel / Desa", "Kelurahan/Desa", "Kel/Desa"),
        colon_styles=("column", "after"),
        backgrounds=("rosette", "gradient", "guilloche"),
        photo_places=("right", "left"),
        tints=(((236, 206, 214), (214, 232, 246)), ((244, 236, 196), (200, 228, 240))),
    ),
    paper=PaperLook(
        wording=WORDING_C,
        layouts=("plain", "boxed"),
        letters=("prose",),
        fonts=("Nimbus Sans", "Nimbus Roman", "FreeSans"),
        hand_fonts=("DkgHandwriting", "Because We Learn", "Because We Organize"),
        offices=(
            ("PEMERINTAH KABUPATEN KETAPANG", "SEKRETARIAT DAERAH", "Jl. Letjen S. Parman No. 1"),
            ("PEMERINTAH PROVINSI JAWA BARAT", "PPID UTAMA", "Jl. Diponegoro No. 22, Bandung"),
            ("PEMERINTAH KABUPATEN KUBU RAYA", "BADAN PENDAPATAN DAERAH", "Jl. Arteri Supadio"),
        ),
        identity_first=0.7,
    ),
    typed_fonts=("Nimbus Mono PS", "DejaVu Sans Mono"),
    hand_fonts=("Because We Learn", "DkgHandwriting"),
    home_share=0.4,
)

FAMILIES: dict[str, Family] = {
    "a": Family(
        "a",
        "DejaVu card on a blue gradient, our form typed and hand-filled, the Perki form and a "
        "letter; scans, faxes, phone photos, photocopies (mostly Kalimantan Barat)",
        MAKERS,
    ),
    "b": Family(
        "b",
        "Liberation/FreeSans/DejaVu Condensed cards on gradients and guilloche, residents of any "
        "province; other offices' forms as ruled numbered tables and label-colon-value lines, "
        "letters with label lines; our form in FreeMono and Breip; lamp-lit scans, copies, "
        "phone photos, WhatsApp, fine-mode fax",
        makers_for(LOOK_B),
    ),
    "c": Family(
        "c",
        "Nimbus Sans/Narrow and DejaVu cards on rosettes, photo left or right, other label "
        "spacings; forms as rule-less tables and boxed fields with other offices' wording, "
        "letters in prose; hand-filling in dkg and Because We Learn/Organize; same captures",
        makers_for(LOOK_C),
    ),
}
SPLITS: dict[str, tuple[str, ...]] = {"tuning": ("a", "b"), "heldout": ("c",)}


def split_of(family: str) -> str:
    """`tuning` or `heldout`, for a family name."""
    return next(split for split, names in SPLITS.items() if family in names)
