"""One module per container format.  Each takes bytes and returns bytes or findings."""
