"""Pure functions: a page or file in, hits out. No I/O, so they are tested on the recordings."""
