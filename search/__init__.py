"""The search API and the web page for exploring events (`newsbeam serve`).

Nothing is imported here: `newsbeam search` reads `newsbeam.search.params` without the
`serve` extra (FastAPI, uvicorn) that `newsbeam.search.app` needs.
"""
