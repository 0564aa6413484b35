"""``linkages ingest``: load a county extract directory into the Linkages database."""

from linkages.ingest.loader import IngestReport, ingest_directory

__all__ = ["IngestReport", "ingest_directory"]
