"""evidensbase: a living systematic literature review published as an evidence database."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("evidensbase")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"
