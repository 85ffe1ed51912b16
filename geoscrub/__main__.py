"""``python -m geoscrub``."""
from .cli import main

main()
