"""Deduplication: the same story under another URL (`exact`) and syndicated wire
copies with small edits (`near`)."""

from newsbeam.pipelines.dedup.exact import ExactDuplicateIndex
from newsbeam.pipelines.dedup.near import NearDuplicateIndex

__all__ = ["ExactDuplicateIndex", "NearDuplicateIndex"]
