"""Where stories come from and where they go.

`files/` reads local JSON Lines, text and HTML; `sinks/` writes articles and events
to an index (embedded SQLite by default, Elasticsearch by option) and searches it.
"""
