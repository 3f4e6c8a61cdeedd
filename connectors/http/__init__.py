"""The one polite, defensive HTTP layer all connectors fetch through."""

from newsbeam.connectors.http.fetcher import HTML_TYPES, FetchError, Fetcher, Response
from newsbeam.connectors.http.settings import FetchSettings

__all__ = ["HTML_TYPES", "FetchError", "FetchSettings", "Fetcher", "Response"]
