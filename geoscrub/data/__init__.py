"""Data shipped with geoscrub: ``places.bin``, the offline place-name index (see SOURCE.md)."""
