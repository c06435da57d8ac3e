"""`cct-monitor eval`: detection measured side by side on the functional suite and the public test splits."""
