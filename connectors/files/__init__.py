"""Local inputs: JSON Lines files and folders of `.txt`/`.html` articles.

`read_path` picks the reader from what the path is, so `newsbeam ingest` takes any
mix of them; every reader streams and turns what it cannot read into dead letters.
"""

from newsbeam.connectors.files.paths import read_path

__all__ = ["read_path"]
