"""newsbeam: pull news stories, drop duplicates, group them into events, search them."""

__version__ = "0.1.0"
