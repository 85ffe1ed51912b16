"""``python -m geoscrub.watch`` (same as ``geoscrub watch``)."""
from .command import watch

watch()
