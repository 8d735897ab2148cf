"""Word lists for the synthetic people: places in Kalimantan Barat, name parts, occupations.

Place names are real (regencies, districts, villages); person names are common name parts that
people.py combines at random, so no combination stands for a real person.
"""

from __future__ import annotations

PROVINCE = "KALIMANTAN BARAT"

# Kemendagri regency codes (the ones NIKs use) with a few district and village names each.
REGENCIES: dict[str, tuple[str, str, tuple[str, ...], tuple[str, ...]]] = {
    # code: (printed regency line, town for birth/issue place, districts, villages)
    "01": (
        "KABUPATEN SAMBAS",
        "SAMBAS",
        ("SAMBAS", "TEBAS", "PEMANGKAT", "JAWAI", "SELAKAU", "TELUK KERAMAT"),
        ("DALAM KAUM", "LUMBANG", "PENDAWAN", "SEKURA", "SEBANGKAU", "TANJUNG BUGIS"),
    ),
    "02": (
        "KABUPATEN MEMPAWAH",
        "MEMPAWAH",
        ("MEMPAWAH HILIR", "SUNGAI PINYUH", "SIANTAN", "SEGEDONG", "ANJONGAN"),
        ("TERUSAN", "PASIR", "SUNGAI BAKAU BESAR LAUT", "PENIRAMAN", "ANTIBAR"),
    ),
    "03": (
        "KABUPATEN SANGGAU",
        "SANGGAU",
        ("KAPUAS", "MUKOK", "ENTIKONG", "BALAI", "PARINDU", "TAYAN HILIR"),
        ("BEDUWAI", "SUNGAI SENGKUANG", "SEMUNTAI", "PALA PASANG", "BONTI", "EMBALAU"),
    ),
    "04": (
        "KABUPATEN KETAPANG",
        "KETAPANG",
        ("DELTA PAWAN", "MATAN HILIR UTARA", "BENUA KAYONG", "SANDAI", "KENDAWANGAN"),
        ("SUKAHARJA", "KAUMAN", "MULIA BARU", "TUAN TUAN", "KALINILAM"),
    ),
    "05": (
        "KABUPATEN SINTANG",
        "SINTANG",
        ("SINTANG", "SEPAUK", "KETUNGAU HILIR", "KAYAN HILIR", "DEDAI"),
        ("TANJUNG PURI", "BATU LALAU", "KAPUAS KIRI HILIR", "MENGKURAI", "BARU"),
    ),
    "06": (
        "KABUPATEN KAPUAS HULU",
        "PUTUSSIBAU",
        ("PUTUSSIBAU UTARA", "EMBALOH HILIR", "BADAU", "SEMITAU", "BOYAN TANJUNG"),
        ("KEDAMIN HILIR", "PUTUSSIBAU KOTA", "NANGA BADAU", "SEMITAU HULU", "NANGA BOYAN"),
    ),
    "07": (
        "KABUPATEN BENGKAYANG",
        "BENGKAYANG",
        ("BENGKAYANG", "LEDO", "SANGGAU LEDO", "SUNGAI RAYA", "CAPKALA"),
        ("SEBALO", "BUMI EMAS", "LEDO", "SUNGAI DURI", "CAPKALA"),
    ),
    "08": (
        "KABUPATEN LANDAK",
        "NGABANG",
        ("NGABANG", "MANDOR", "MENJALIN", "SEBANGKI", "MENYUKE"),
        ("AMBAWANG", "HILIR TENGAH", "MANDOR", "RABAK", "SEBANGKI"),
    ),
    "09": (
        "KABUPATEN SEKADAU",
        "SEKADAU",
        ("SEKADAU HILIR", "SEKADAU HULU", "NANGA TAMAN", "BELITANG HILIR"),
        ("SUNGAI RAMBAH", "MUNGGUK", "NANGA TAMAN", "SUNGAI AYAK"),
    ),
    "10": (
        "KABUPATEN MELAWI",
        "NANGA PINOH",
        ("NANGA PINOH", "ELLA HILIR", "MENUKUNG", "SAYAN", "TANAH PINOH"),
        ("KENANGA", "PAAL", "NANGA ELLA", "NANGA SAYAN", "TANJUNG LAY"),
    ),
    "11": (
        "KABUPATEN KAYONG UTARA",
        "SUKADANA",
        ("SUKADANA", "SIMPANG HILIR", "TELUK BATANG", "SEPONTI"),
        ("SUTERA", "PADU BANJAR", "TELUK BATANG", "SEPONTI JAYA"),
    ),
    "12": (
        "KABUPATEN KUBU RAYA",
        "SUNGAI RAYA",
        ("SUNGAI RAYA", "SUNGAI AMBAWANG", "RASAU JAYA", "SUNGAI KAKAP", "KUBU"),
        ("ARANG LIMBUNG", "KUALA DUA", "RASAU JAYA UMUM", "PAL SEMBILAN", "KUBU"),
    ),
    "71": (
        "KOTA PONTIANAK",
        "PONTIANAK",
        ("PONTIANAK KOTA", "PONTIANAK BARAT", "PONTIANAK SELATAN", "PONTIANAK TIMUR"),
        ("DARAT SEKIP", "SUNGAI JAWI", "AKCAYA", "BANGKA BELITUNG LAUT", "TAMBELAN SAMPIT"),
    ),
    "72": (
        "KOTA SINGKAWANG",
        "SINGKAWANG",
        ("SINGKAWANG BARAT", "SINGKAWANG TENGAH", "SINGKAWANG TIMUR", "SINGKAWANG UTARA"),
        ("PASIRAN", "ROBAN", "BUKIT BATU", "SEDAU", "NARIT"),
    ),
}
# A few people carry a card from elsewhere (they moved, or study here).
OTHER_PROVINCES: tuple[tuple[str, str, str, str, str, str], ...] = (
    # (province code, regency code, province, regency line, town, district)
    ("31", "74", "DKI JAKARTA", "KOTA JAKARTA SELATAN", "JAKARTA", "KEBAYORAN BARU"),
    ("32", "73", "JAWA BARAT", "KOTA BANDUNG", "BANDUNG", "COBLONG"),
    ("33", "74", "JAWA TENGAH", "KOTA SEMARANG", "SEMARANG", "CANDISARI"),
    ("64", "72", "KALIMANTAN TIMUR", "KOTA SAMARINDA", "SAMARINDA", "SAMARINDA ULU"),
    ("62", "71", "KALIMANTAN TENGAH", "KOTA PALANGKA RAYA", "PALANGKA RAYA", "PAHANDUT"),
)

GIVEN_MALE = {
    "malay": ("Muhammad", "Rahmat", "Syarifudin", "Hamdan", "Zulkifli", "Rizal", "Fadli", "Azhar"),
    "dayak": ("Yohanes", "Agustinus", "Fransiskus", "Petrus", "Stefanus", "Markus", "Yosef"),
    "chinese": ("Hendra", "Budiman", "Susanto", "Aliong", "Kurniawan", "Acong", "Felix"),
    "javanese": ("Budi", "Slamet", "Joko", "Agus", "Teguh", "Bambang", "Wahyu", "Eko"),
}
GIVEN_FEMALE = {
    "malay": ("Siti", "Nurhayati", "Rahmawati", "Fatimah", "Zahra", "Aisyah", "Mariam"),
    "dayak": ("Maria", "Kristina", "Yuliana", "Veronika", "Agnes", "Theresia", "Natalia"),
    "chinese": ("Lili", "Meliana", "Susanti", "Lina", "Sherly", "Vivian", "Mei Ling"),
    "javanese": ("Sri", "Endang", "Wahyuni", "Dwi", "Retno", "Rini", "Lestari", "Tri"),
}
FAMILY = {
    "malay": ("Abdullah", "Hasan", "Syahputra", "Rahman", "Alkadrie", "Hamid", "Ismail"),
    "dayak": ("Ajun", "Lambang", "Nyangun", "Djuang", "Usat", "Ngadan", "Belawan", "Ensiang"),
    "chinese": ("Wijaya", "Tjhai", "Lie", "Bong", "Halim", "Gunawan", "Tanjaya", "Phang"),
    "javanese": ("Santoso", "Susilo", "Prasetyo", "Wibowo", "Hartono", "Purnomo", "Utomo"),
}
STREETS = (
    "JL. GAJAH MADA",
    "JL. TANJUNGPURA",
    "JL. AHMAD YANI",
    "JL. SUTOYO",
    "JL. H. RAIS A. RAHMAN",
    "JL. PARIT H. HUSIN II",
    "JL. KOM. YOS SUDARSO",
    "GG. MAWAR",
    "GG. KENANGA",
    "JL. RAYA",
    "DUSUN SUKA MAJU",
    "DUSUN TEMBAWANG",
)
OCCUPATIONS = (
    "WIRASWASTA",
    "KARYAWAN SWASTA",
    "PELAJAR/MAHASISWA",
    "PETANI/PEKEBUN",
    "NELAYAN/PERIKANAN",
    "PEGAWAI NEGERI SIPIL",
    "MENGURUS RUMAH TANGGA",
    "GURU",
    "PEDAGANG",
    "BURUH HARIAN LEPAS",
    "WARTAWAN",
)
RELIGIONS = ("ISLAM", "KRISTEN", "KATOLIK", "BUDDHA", "HINDU", "KHONGHUCU")
RELIGION_BY_GROUP = {
    "malay": ("ISLAM",),
    "javanese": ("ISLAM", "ISLAM", "KRISTEN"),
    "dayak": ("KATOLIK", "KRISTEN", "KATOLIK"),
    "chinese": ("BUDDHA", "KHONGHUCU", "KRISTEN", "KATOLIK"),
}
BLOOD_TYPES = ("-", "A", "B", "AB", "O")
MARITAL = ("BELUM KAWIN", "KAWIN", "KAWIN", "CERAI HIDUP", "CERAI MATI")
EMAIL_DOMAINS = ("example.com", "example.net", "example.org")

PURPOSES = (
    "Bahan penelitian skripsi tentang koperasi simpan pinjam",
    "Pengawasan penggunaan dana bantuan UMKM di desa kami",
    "Bahan pemberitaan media lokal",
    "Mengetahui syarat pendaftaran koperasi baru",
    "Kajian lembaga swadaya masyarakat tentang pemberdayaan usaha mikro",
    "Kepentingan pribadi untuk pengajuan pinjaman modal usaha",
)
INFORMATION = (
    "daftar penerima bantuan modal usaha mikro tahun 2025",
    "laporan realisasi anggaran dinas tahun 2025",
    "data koperasi aktif per kabupaten",
    "hasil audit koperasi simpan pinjam",
    "rencana kerja pelatihan UMKM tahun 2026",
)
CASE_TEMPLATES = (
    "Saya telah mengajukan permohonan informasi mengenai {info} pada tanggal {when}, "
    "namun sampai saat ini belum ada tanggapan dari PPID.",
    "Permohonan saya tentang {info} ditolak tanpa alasan yang jelas.",
    "Informasi {info} yang saya terima tidak sesuai dengan yang saya minta.",
    "Saya diminta membayar biaya penggandaan yang tidak wajar untuk {info}.",
    "Informasi {info} baru diberikan jauh melewati batas waktu yang diatur.",
)
MONTH_ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")
