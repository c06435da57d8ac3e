"""cct-tracking: a DSA compliance monitor for live broadcast transcripts."""

__version__ = "0.1.0"
