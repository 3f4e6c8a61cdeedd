"""Where stories come from and where they go.

`files/` reads local JSON Lines, text, HTML and WARC; `feeds/`, `sitemaps/` and
`pages/` pull stories from the web through the one polite HTTP layer in `http/`,
remembering between runs in `state.py`; `sinks/` writes articles and events to an
index (embedded SQLite by default, Elasticsearch by option) and searches it.
"""
