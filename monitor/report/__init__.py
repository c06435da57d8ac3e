"""Transparency-report exports (Implementing Regulation (EU) 2024/2835 shape) built from the decision log."""
