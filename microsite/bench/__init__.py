"""Benchmarks: seeded inputs (saved pages in ``pages``, Markdown corpora in ``corpus``) and timing helpers."""
