"""Tools toward a multilingual encoder (issue 15); nothing here is on the serving path."""
