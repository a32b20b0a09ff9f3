"""Static site generator for the arms-transfer briefing archive."""

__version__ = "0.1.0"
