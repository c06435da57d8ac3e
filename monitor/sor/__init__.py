"""Statements of reasons for the EU Transparency Database: schema, payload builder and submission."""
