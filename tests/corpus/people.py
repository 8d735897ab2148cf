"""Seeded synthetic people and objections: invented names, Kalimantan Barat addresses, valid NIKs.

Nobody here is real: names are random combinations of common given and family names, and serials
are random. Everything is drawn from a `random.Random` the caller seeds, so a seed gives the same
corpus on every machine.
"""

from __future__ import annotations

import random
import re
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

from .vocabulary import (
    BLOOD_TYPES,
    CASE_TEMPLATES,
    EMAIL_DOMAINS,
    FAMILY,
    GIVEN_FEMALE,
    GIVEN_MALE,
    INFORMATION,
    MARITAL,
    MONTH_ROMAN,
    OCCUPATIONS,
    OTHER_PROVINCES,
    PROVINCE,
    PURPOSES,
    REGENCIES,
    RELIGION_BY_GROUP,
    STREETS,
)

LIFELONG = "SEUMUR HIDUP"
ROMAN = re.compile(r"(?=[IVX]+$)(X{0,3})(IX|IV|V?I{0,3})")


def title_case(text: str) -> str:
    """Upper-case KTP text as a person writes it: `Jl. Parit H. Husin II`, numerals kept."""
    return " ".join(w if ROMAN.fullmatch(w) else w.title() for w in text.split())


@dataclass(frozen=True)
class Person:
    """One invented resident, with every field a KTP prints plus contact details."""

    nik: str
    name: str  # upper case, as on the card
    given_name: str  # as the person writes it on a form (title case)
    birth_place: str
    birth_date: date
    sex: str  # LAKI-LAKI / PEREMPUAN
    blood_type: str
    address: str
    rt_rw: str
    village: str
    district: str
    religion: str
    marital_status: str
    occupation: str
    nationality: str
    valid_until: str | None  # ISO date, or None for SEUMUR HIDUP
    province: str
    regency: str
    issue_place: str
    issue_date: date
    phone: str
    email: str

    @property
    def display_name(self) -> str:
        """The name as written on a form by the person (title case)."""
        return self.given_name

    def full_address(self) -> str:
        """The address as an applicant writes it on the form."""
        return (
            f"{title_case(self.address)}, RT/RW {self.rt_rw}, {title_case(self.village)}, "
            f"Kec. {title_case(self.district)}, {title_case(self.regency)}"
        )

    def card_truth(self) -> dict[str, Any]:
        """Ground truth for the `id_card` document: what the card prints (the office's rules).

        `valid_until` is `SEUMUR HIDUP` or the ISO date, `religion` as printed, `province`
        without `PROVINSI`, `regency` with its `KABUPATEN`/`KOTA` word.
        """
        return {**self.id_card_fields(), "valid_until": self.valid_until or LIFELONG}

    def id_card_fields(self) -> dict[str, Any]:
        """Like `card_truth()` but with `valid_until` null for SEUMUR HIDUP (the older reading)."""
        return {
            "nik": self.nik,
            "name": self.name,
            "birth_place": self.birth_place,
            "birth_date": self.birth_date.isoformat(),
            "sex": self.sex,
            "blood_type": self.blood_type,
            "address": self.address,
            "rt_rw": self.rt_rw,
            "village": self.village,
            "district": self.district,
            "religion": self.religion,
            "marital_status": self.marital_status,
            "occupation": self.occupation,
            "nationality": self.nationality,
            "valid_until": self.valid_until,
            "province": self.province,
            "regency": self.regency,
        }

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["birth_date"] = self.birth_date.isoformat()
        data["issue_date"] = self.issue_date.isoformat()
        return data


def nik_for(province: str, regency: str, district: int, birth: date, sex: str, serial: int) -> str:
    """Build a structurally valid NIK: +40 on the day for women, serial 0001..9999."""
    day = birth.day + (40 if sex == "PEREMPUAN" else 0)
    born = f"{day:02d}{birth.month:02d}{birth.year % 100:02d}"
    return f"{province}{regency}{district:02d}{born}{serial:04d}"


def nik_is_valid(nik: str) -> bool:
    """Structural check: 16 digits, a real date once 40 is taken off a woman's day, serial > 0."""
    if len(nik) != 16 or not nik.isdigit():
        return False
    day, month, year = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    if day > 40:
        day -= 40
    if not (1 <= int(nik[4:6]) <= 99) or int(nik[12:]) == 0:
        return False
    try:
        date(2000 + year, month, day)  # a leap-year century is enough for 29 February
    except ValueError:
        return False
    return True


def _name(rng: random.Random, sex: str) -> tuple[str, str]:
    group = rng.choice(tuple(GIVEN_MALE))
    given = (GIVEN_FEMALE if sex == "PEREMPUAN" else GIVEN_MALE)[group]
    parts = [rng.choice(given)]
    if rng.random() < 0.3:
        second = rng.choice(given)
        if second != parts[0]:
            parts.append(second)
    other_group = group if rng.random() < 0.8 else rng.choice(tuple(FAMILY))
    parts.append(rng.choice(FAMILY[other_group]))
    return " ".join(parts), group


def _birth_date(rng: random.Random) -> date:
    return date(1950, 1, 1) + timedelta(days=rng.randrange(0, 365 * 56))


def make_person(rng: random.Random, *, outside_province: bool | None = None) -> Person:
    """One invented resident; about 1 in 12 carries a card from another province."""
    if outside_province is None:
        outside_province = rng.random() < 1 / 12
    sex = rng.choice(("LAKI-LAKI", "PEREMPUAN"))
    name, group = _name(rng, sex)
    birth = _birth_date(rng)
    if outside_province:
        prov_code, reg_code, province, regency, town, district = rng.choice(OTHER_PROVINCES)
        district_code = rng.randint(1, 20)
        village = rng.choice(("MENTENG", "LEBAK SIRNA", "PASAR BARU", "SUKAJADI", "BAHU"))
    else:
        prov_code, province = "61", PROVINCE
        reg_code = rng.choice(tuple(REGENCIES))
        regency, town, districts, villages = REGENCIES[reg_code]
        district_index = rng.randrange(len(districts))
        district, district_code = districts[district_index], district_index + 1
        village = rng.choice(villages)
    birth_place = town if rng.random() < 0.7 else rng.choice([r[1] for r in REGENCIES.values()])
    street = rng.choice(STREETS)
    address = street if street.startswith("DUSUN") else f"{street} NO. {rng.randint(1, 150)}"
    issue = date(2012, 1, 1) + timedelta(days=rng.randrange(0, 365 * 13))
    valid_until = None
    if rng.random() < 0.2:  # older cards print an expiry date instead of SEUMUR HIDUP
        valid_until = birth.replace(year=issue.year + 5).isoformat() if birth.day < 29 else None
    serial = rng.randint(1, 9999)
    local = name.lower().replace(" ", rng.choice((".", "", "_")))
    return Person(
        nik=nik_for(prov_code, reg_code, district_code, birth, sex, serial),
        name=name.upper(),
        given_name=name,
        birth_place=birth_place,
        birth_date=birth,
        sex=sex,
        blood_type=rng.choice(BLOOD_TYPES),
        address=address,
        rt_rw=f"{rng.randint(1, 30):03d}/{rng.randint(1, 20):03d}",
        village=village,
        district=district,
        religion=rng.choice(RELIGION_BY_GROUP[group]),
        marital_status="BELUM KAWIN" if birth.year > 2003 else rng.choice(MARITAL),
        occupation="PELAJAR/MAHASISWA" if birth.year > 2003 else rng.choice(OCCUPATIONS),
        nationality="WNI",
        valid_until=valid_until,
        province=province,
        regency=regency,
        issue_place=town,
        issue_date=issue,
        phone="08"
        + rng.choice(("11", "12", "13", "21", "52", "53", "57", "77", "96"))
        + "".join(str(rng.randint(0, 9)) for _ in range(rng.choice((7, 8)))),
        email=f"{local}{rng.randint(1, 99)}@{rng.choice(EMAIL_DOMAINS)}",
    )


def _request_number(rng: random.Random, when: date) -> str:
    return f"{rng.randint(1, 250):03d}/PPID-DKUKM/{MONTH_ROMAN[when.month - 1]}/{when.year}"


def make_objection(rng: random.Random, person: Person) -> dict[str, Any]:
    """Ground truth for an `objection_form` filed by `person`, in the contract's nested form."""
    filed = date(2026, 1, 5) + timedelta(days=rng.randrange(0, 320))
    requested = filed - timedelta(days=rng.randint(14, 45))
    proxy = None
    if rng.random() < 0.25:
        helper = make_person(rng, outside_province=False)
        proxy = {
            "name": helper.given_name,
            "address": helper.full_address(),
            "phone": helper.phone,
        }
    reasons = sorted(rng.sample("abcdefg", rng.choice((1, 1, 1, 2, 2, 3))))
    info = rng.choice(INFORMATION)
    case = rng.choice(CASE_TEMPLATES).format(info=info, when=requested.strftime("%d-%m-%Y"))
    registered = rng.random() < 0.3
    return {
        "registration_number": (
            f"{rng.randint(1, 99):03d}/KEB/PPID-DKUKM/{MONTH_ROMAN[filed.month - 1]}/{filed.year}"
            if registered
            else None
        ),
        "request_number": _request_number(rng, requested),
        "purpose": rng.choice(PURPOSES),
        "applicant": {
            "name": person.given_name,
            "nik": person.nik,
            "address": person.full_address(),
            "occupation": title_case(person.occupation),
            "phone": person.phone,
            "email": person.email,
        },
        "proxy": proxy,
        "reasons": reasons,
        "case_description": case,
        "response_date": (filed + timedelta(days=rng.randint(20, 40))).isoformat()
        if registered
        else None,
        "place": "Pontianak" if rng.random() < 0.6 else title_case(person.issue_place),
        "date": filed.isoformat(),
        "signed": rng.random() < 0.9,
    }


def flatten(fields: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested contract fields → dotted names (`applicant.nik`); a null proxy gives null leaves."""
    flat: dict[str, Any] = {}
    for key, value in fields.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, name + "."))
        elif value is None and key == "proxy":
            flat.update({f"{name}.{k}": None for k in ("name", "address", "phone")})
        else:
            flat[name] = value
    return flat
