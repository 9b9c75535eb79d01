"""Relevance evaluation on the real data: collaborators, similar work, researcher search.

Each task builds (or reuses) its own indexes under its own prefix, derives a ground
truth that the product never serves, and compares keyword, vector and fused
rankings with the metrics in `evaluation.metrics`. Run it with `peerscope eval`.
"""
