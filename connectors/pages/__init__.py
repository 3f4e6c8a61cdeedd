"""Article pages: fetch, recognise walls, extract text and metadata, choose the date."""

from newsbeam.connectors.pages.extract import ExtractSettings, extract_article
from newsbeam.connectors.pages.harvest import (
    Harvested,
    ItemHint,
    ListingMemory,
    PageSettings,
    fetch_article,
    harvest,
    harvest_listing,
)

__all__ = ["ExtractSettings", "Harvested", "ItemHint", "ListingMemory", "PageSettings", "extract_article",
           "fetch_article", "harvest", "harvest_listing"]
