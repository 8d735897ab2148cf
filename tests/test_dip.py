"""The DIP catalogue: CSV import (errors name the row), re-import, search, the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from ppid.casework import dip
from ppid.cli.app import main
from ppid.core.db import open_db
from ppid.core.errors import BadInputError, ExitCode
from ppid.core.settings import load_settings
from tests.specimens import ON_BOTH_DATABASES

pytestmark = ON_BOTH_DATABASES  # every test on SQLite and on PostgreSQL

GOOD = (
    "title,description,category,pasal17,unit,year,link\n"
    "Laporan Keuangan Dinas 2025,Neraca dan realisasi anggaran,berkala,,Sekretariat,2025,"
    "https://contoh.go.id/lk2025\n"
    "Daftar Penerima Bantuan Modal UMKM,Nama usaha dan nilai bantuan,Setiap Saat,,Bidang UMKM,"
    "2026,\n"
    "Informasi Bencana Banjir,Peringatan dini,serta-merta,,Sekretariat,2026,\n"
    "Data Pribadi Anggota Koperasi,NIK dan rekening anggota,dikecualikan,h,Bidang Koperasi,2026,\n"
)


@pytest.fixture
def sessions(ppid_home: Path) -> sessionmaker[Session]:
    return open_db(load_settings())


def write(folder: Path, text: str, name: str = "dip.csv") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_import_reads_every_category_and_reimport_updates(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    with sessions() as session, session.begin():
        first = dip.import_csv(session, write(tmp_path, GOOD))
    assert (first.created, first.updated) == (4, 0)
    changed = GOOD.replace("Neraca dan realisasi anggaran", '"Neraca, LRA dan CaLK"')
    with sessions() as session, session.begin():
        again = dip.import_csv(session, write(tmp_path, changed))
    assert (again.created, again.updated) == (0, 4)
    with sessions() as session:
        items = {item.title: item for item in dip.search(session, "")}
    assert len(items) == 4
    assert items["Laporan Keuangan Dinas 2025"].description == "Neraca, LRA dan CaLK"
    assert items["Informasi Bencana Banjir"].category == "serta_merta"
    assert items["Daftar Penerima Bantuan Modal UMKM"].category == "setiap_saat"
    exempt = items["Data Pribadi Anggota Koperasi"]
    assert (exempt.exempt, exempt.pasal17, exempt.category_label) == (
        True,
        "h",
        "Informasi yang dikecualikan",
    )


@pytest.mark.parametrize(
    ("bad_row", "message"),
    [
        ("Rahasia,,dikecualikan,,Bidang,2026,", "row 3: an exempt item"),
        ("Rahasia,,dikecualikan,k,Bidang,2026,", "row 3: an exempt item"),
        ("Umum,,berkala,h,Bidang,2026,", "row 3: pasal17 'h' is given"),
        ("Umum,,bulanan,,Bidang,2026,", "row 3: category 'bulanan' is not one of"),
        (",,berkala,,Bidang,2026,", "row 3: title"),
        ("Umum,,berkala,,Bidang,dua ribu,", "row 3: year 'dua ribu'"),
    ],
)
def test_a_bad_row_is_named_and_nothing_is_imported(
    sessions: sessionmaker[Session], tmp_path: Path, bad_row: str, message: str
) -> None:
    text = "title,description,category,pasal17,unit,year,link\nBaik,,berkala,,B,2026,\n" + bad_row
    path = write(tmp_path, text + "\n")
    with sessions() as session, session.begin(), pytest.raises(BadInputError) as error:
        dip.import_csv(session, path)
    assert message in error.value.message
    assert str(path) in error.value.message
    with sessions() as session:
        assert dip.search(session, "") == []


def test_indonesian_headers_and_semicolons_are_understood(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    text = (
        "Judul;Uraian;Kategori;Pasal 17;Bidang;Tahun;Tautan\n"
        "Rencana Strategis;Renstra;berkala;;Sekretariat;2026;\n"
    )
    with sessions() as session, session.begin():
        assert dip.import_csv(session, write(tmp_path, text)).created == 1
    with sessions() as session:
        assert [i.title for i in dip.search(session, "renstra")] == ["Rencana Strategis"]


def test_a_csv_without_a_title_column_says_which_columns_exist(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="no 'title' column"):
        dip.read_csv(write(tmp_path, "nama,kategori\nX,berkala\n"))


def test_search_needs_every_word_in_title_or_description(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    with sessions() as session, session.begin():
        dip.import_csv(session, write(tmp_path, GOOD))
    with sessions() as session:
        assert [i.title for i in dip.search(session, "BANTUAN umkm")] == [
            "Daftar Penerima Bantuan Modal UMKM"
        ]
        assert [i.title for i in dip.search(session, "anggaran")] == ["Laporan Keuangan Dinas 2025"]
        assert dip.search(session, "bantuan anggaran") == []


def test_cli_imports_and_searches(
    sessions: sessionmaker[Session], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["dip", "import", str(write(tmp_path, GOOD))])
    assert "4 new, 0 updated" in capsys.readouterr().out
    main(["dip", "search", "pribadi"])
    assert "Data Pribadi Anggota Koperasi (Pasal 17 huruf h)" in capsys.readouterr().out
    bad = write(tmp_path, GOOD + "X,,rahasia,,B,2026,\n", "bad.csv")
    with pytest.raises(SystemExit) as failed:
        main(["dip", "import", str(bad)])
    assert failed.value.code == ExitCode.BAD_INPUT
    assert "row 6" in capsys.readouterr().err
