"""Event clustering: articles about one happening, across outlets, into one event."""

from newsbeam.pipelines.cluster.clusterer import ClusterConfig, EventState, OnlineClusterer

__all__ = ["ClusterConfig", "EventState", "OnlineClusterer"]
