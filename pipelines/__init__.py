"""Apache Beam pipelines and the plain-Python stages they are built from.

Folders name the stages an article passes through: `normalize/` → `dedup/` →
`cluster/`; `assign.py` runs dedup and clustering online, in publication order, for
the batch pipeline (`batch.py`), the streaming one and `newsbeam cluster` alike.
"""
