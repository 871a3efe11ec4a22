"""Conformance corpora: what real servers printed, each case with its public source (see corpus.py)."""
