"""The version of the `airm-kg` package (what `kg --version` prints and the releases record)."""

__version__ = "0.1.0"
