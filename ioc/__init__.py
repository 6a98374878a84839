"""Cao Bằng Intelligent Operations Center — the core every other package imports.

Settings, the data model, the error tree, the feed catalogue, storage and live state.
"""

__version__ = "0.1.0"
