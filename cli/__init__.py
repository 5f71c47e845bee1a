"""The `memory` command line: a thin layer over the `memdir` library."""
