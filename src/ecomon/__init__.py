"""ecomon: ecological-environment monitoring platform."""

__version__ = "0.1.0"
