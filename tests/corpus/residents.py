"""Invented residents of anywhere in Indonesia, on real regions from parsers/regions.py.

Families b and c draw their people here: about half live in Kalimantan Barat, the rest in any
province; the regency, district and village exist (Kemendagri list) and the NIK agrees with
them, with the birth date and with the sex (day + 40 for women). Names, streets and serials are
random, so nobody is real.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from parsers.regions import Region, children

from .people import Person, nik_for
from .vocabulary import EMAIL_DOMAINS, FAMILY, GIVEN_FEMALE, GIVEN_MALE

HOME_PROVINCE = "61"
# How KTP-el prints religions, occupations and marital status (upper case, its own spellings).
RELIGIONS = ("ISLAM", "ISLAM", "ISLAM", "KRISTEN", "KATHOLIK", "HINDU", "BUDHA", "KHONGHUCU")
OCCUPATIONS = (
    "WIRASWASTA",
    "KARYAWAN SWASTA",
    "PELAJAR/MAHASISWA",
    "PETANI/PEKEBUN",
    "PEGAWAI NEGERI SIPIL (PNS)",
    "MENGURUS RUMAH TANGGA",
    "BURUH HARIAN LEPAS",
    "GURU",
    "DOSEN",
    "PERANGKAT DESA",
    "KARYAWAN BUMN",
    "NELAYAN/PERIKANAN",
    "PEDAGANG",
    "SOPIR",
)
MARITAL = ("BELUM KAWIN", "KAWIN", "KAWIN", "KAWIN", "CERAI HIDUP", "CERAI MATI")
BLOOD = ("-", "-", "A", "B", "AB", "O", "A+", "O-")
MORE_GIVEN = {
    "LAKI-LAKI": ("Andi", "Made", "Ketut", "Rudi", "Dedi", "Yusuf", "Irfan", "Hendrik", "Ridwan"),
    "PEREMPUAN": ("Ayu", "Putu", "Dewi", "Yanti", "Nurul", "Rosmawati", "Kadek", "Desi", "Wulan"),
}
MORE_FAMILY = ("Siregar", "Nasution", "Pratama", "Saputra", "Lubis", "Hutapea", "Daeng", "Manik")
STREET_NAMES = (
    "MERDEKA",
    "SULTAN HASANUDDIN",
    "DIPONEGORO",
    "PANGERAN NATAKUSUMA",
    "HOS COKROAMINOTO",
    "KH. WAHID HASYIM",
    "MT. HARYONO",
    "PERINTIS KEMERDEKAAN",
    "SUNGAI RAYA DALAM",
    "ADI SUCIPTO",
    "TRANS KALIMANTAN",
    "PROF. M. YAMIN",
    "DR. SOETOMO",
    "KARYA BARU",
)
# printed KTP spelling of a province where it differs from the decree's name
PROVINCE_PRINT = {"Daerah Khusus Ibukota Jakarta": "DKI JAKARTA"}
MAX_PLACE = 24  # longest district/village name that still fits the card's value column


def printed_province(region: Region) -> str:
    return PROVINCE_PRINT.get(region.name.strip(), region.name.strip().upper())


def printed_regency(region: Region) -> str:
    """The card's second line: `KABUPATEN SAMBAS`, `KOTA PONTIANAK`, `JAKARTA SELATAN`."""
    name = region.name.strip().upper()
    for prefix in ("KOTA ADMINISTRASI ", "KABUPATEN ADMINISTRASI "):
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def town_of(regency: str) -> str:
    """The town a regency line names (`KABUPATEN SAMBAS` → `SAMBAS`), for birth and issue place."""
    for prefix in ("KABUPATEN ", "KOTA "):
        if regency.startswith(prefix):
            return regency[len(prefix) :]
    return regency


def _short(regions: tuple[Region, ...]) -> tuple[Region, ...]:
    fitting = tuple(r for r in regions if len(r.name.strip()) <= MAX_PLACE)
    return fitting or regions


def pick_region(rng: random.Random, home_share: float) -> tuple[Region, Region, Region, Region]:
    """Province, regency, district and village that exist together; the home province often."""
    if rng.random() < home_share:
        province = next(p for p in children(None) if p.code == HOME_PROVINCE)
    else:
        province = rng.choice(children(None))
    while True:
        regency = rng.choice(children(province.code))
        districts = _short(children(regency.code))
        if districts:
            district = rng.choice(districts)
            villages = _short(children(district.code))
            if villages:
                return province, regency, district, rng.choice(villages)


def street_address(rng: random.Random) -> str:
    """The KTP's `Alamat` line as printed: street, house number, sometimes a block or a hamlet."""
    number = f"{rng.randint(1, 199)}{rng.choice(('', '', '', 'A', 'B'))}"
    kind = rng.random()
    if kind < 0.45:
        return (
            f"{rng.choice(('JL.', 'JL.', 'JLN.', 'JALAN'))} {rng.choice(STREET_NAMES)} NO. {number}"
        )
    if kind < 0.6:
        lane = rng.choice(("MAWAR", "MELATI", "FAMILI", "SEPAKAT", "BERSAMA"))
        return f"GG. {lane} {rng.choice(('', 'II ', 'III '))}NO. {number}"
    if kind < 0.75:
        block = f"{rng.choice('ABCDEFG')}{rng.randint(1, 12)}"
        estate = rng.choice(("KOMP. BUMI INDAH", "PERUM GRIYA ASRI", "KOMP. PURI HARAPAN"))
        return f"{estate} BLOK {block} NO. {rng.randint(1, 40)}"
    if kind < 0.85:
        return f"DUSUN {rng.choice(('SUKA MAJU', 'SEJAHTERA', 'KARYA BHAKTI', 'MEKAR SARI'))}"
    lane = rng.choice(("DAMAI", "SETIA", "H. ABBAS"))
    return f"JL. {rng.choice(STREET_NAMES)} GG. {lane} NO. {number}"


def _name(rng: random.Random, sex: str) -> str:
    group = rng.choice(tuple(GIVEN_MALE))
    given = list((GIVEN_FEMALE if sex == "PEREMPUAN" else GIVEN_MALE)[group]) + list(
        MORE_GIVEN[sex]
    )
    parts = [rng.choice(given)]
    if rng.random() < 0.25:
        parts.append(rng.choice([g for g in given if g != parts[0]]))
    if rng.random() < 0.85:
        parts.append(rng.choice(list(FAMILY[group]) + list(MORE_FAMILY)))
    return " ".join(parts)


def make_resident(rng: random.Random, *, home_share: float = 0.5) -> Person:
    """One invented resident whose card, NIK and address agree with the region list."""
    sex = rng.choice(("LAKI-LAKI", "PEREMPUAN"))
    name = _name(rng, sex)
    birth = date(1948, 1, 1) + timedelta(days=rng.randrange(0, 365 * 58))
    province, regency, district, village = pick_region(rng, home_share)
    regency_line = printed_regency(regency)
    birth_place = (
        town_of(regency_line)
        if rng.random() < 0.7
        else rng.choice(("MEDAN", "SURABAYA", "MAKASSAR", "PONTIANAK", "SINGKAWANG", "KUPANG"))
    )
    issue = date(2012, 1, 1) + timedelta(days=rng.randrange(0, 365 * 13))
    valid_until = None  # SEUMUR HIDUP on most cards
    if rng.random() < 0.15 and birth.day < 29:
        valid_until = birth.replace(year=min(issue.year + 5, 2017)).isoformat()
    adult = birth.year <= 2004
    local = name.lower().replace(" ", rng.choice((".", "", "_")))
    return Person(
        nik=nik_for(
            province.code,
            regency.code[-2:],
            int(district.code[-2:]),
            birth,
            sex,
            rng.randint(1, 9999),
        ),
        name=name.upper(),
        given_name=name,
        birth_place=birth_place,
        birth_date=birth,
        sex=sex,
        blood_type=rng.choice(BLOOD),
        address=street_address(rng),
        rt_rw=f"{rng.randint(1, 40):03d}/{rng.randint(1, 25):03d}",
        village=village.name.strip().upper(),
        district=district.name.strip().upper(),
        religion=rng.choice(RELIGIONS),
        marital_status=rng.choice(MARITAL) if adult else "BELUM KAWIN",
        occupation=rng.choice(OCCUPATIONS) if adult else "PELAJAR/MAHASISWA",
        nationality="WNI",
        valid_until=valid_until,
        province=printed_province(province),
        regency=regency_line,
        issue_place=town_of(regency_line),
        issue_date=issue,
        phone="08"
        + rng.choice(("11", "12", "13", "21", "22", "52", "53", "57", "77", "78", "95", "96"))
        + "".join(str(rng.randint(0, 9)) for _ in range(rng.choice((7, 8, 9)))),
        email=f"{local}{rng.randint(1, 999)}@{rng.choice(EMAIL_DOMAINS)}",
    )
