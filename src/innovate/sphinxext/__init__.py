"""Sphinx extensions of the book (claims, build information, page fixes): not analysis."""
