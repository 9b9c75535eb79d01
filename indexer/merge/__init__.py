"""Merging sources: one work with several versions, one person across sources."""
