"""Synthetic test corpus: invented people, their KTP cards and objection forms, scanned many ways.

`python -m tests.corpus.generate OUT_DIR --count N --seed S` writes the files plus `truth.jsonl`;
`tests/corpus/samples/` holds a small committed subset (see README.md beside this file).
"""

from __future__ import annotations
