"""Pure extraction: one file in, its documents and their fields out (`parsers.extract`).

Nothing here imports `ppid` or `flows` or reads settings; the caller passes limits in. The
modules, top (the pipeline) to bottom (shared rules):

- `extract`: the pipeline; `classify`: what kind of page a text is.
- Files: `files` (type sniffing, size, time), `pdf_safety`, `image_files`, `raster`.
- Digital PDFs: `text_layer`, `acroform`, `ourform_text`, `pasted_signature`.
- Scans: `scan` (page by page), `upright`, `ocr` (the one Tesseract wrapper), `geometry`.
- Our printed form: `alignment`, `form_layout`, `ourform`, `zone_images`, `zone_votes`.
- ID cards: `card_image`, `ktp`, `ktp_values`, `ktp_nik`.
- Foreign forms and letters: `labels`, `label_words`, `letter`, `reasons`, `signature`.
- Shared rules: `field_checks`, `nik`, `regions`, `dates`, `text_lines`; the contract: `model`.
"""
