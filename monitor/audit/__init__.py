"""The tamper-evident decision log: hash-chained JSONL records, verification, provenance and reviews."""
