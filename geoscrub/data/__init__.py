"""Data shipped with geoscrub: ``places.bin.gz``, the offline place-name index (see SOURCE.md)."""
