"""The search API and the web page for exploring events (`newsbeam serve`)."""

from newsbeam.search.app import create_app

__all__ = ["create_app"]
