"""Readers for the metadata payloads that many containers share (EXIF, XMP, IPTC).

They turn payload bytes into ``Finding``s.  They never write: cleaning drops
these payloads whole, so only the orientation-only EXIF builder lives here.
"""
