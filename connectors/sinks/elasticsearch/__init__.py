"""The Elasticsearch index backend (`pip install newsbeam[es]`): see docs/elasticsearch.md."""

from newsbeam.connectors.sinks.elasticsearch.backend import ElasticsearchBackend
from newsbeam.connectors.sinks.elasticsearch.bulk import BulkLimits
from newsbeam.connectors.sinks.elasticsearch.retry import ClusterUnavailable, RetryPolicy

__all__ = ["BulkLimits", "ClusterUnavailable", "ElasticsearchBackend", "RetryPolicy"]
