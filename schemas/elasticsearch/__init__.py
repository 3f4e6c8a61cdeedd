"""Elasticsearch index templates (settings + mappings) for articles, events and pipeline state."""
