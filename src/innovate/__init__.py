"""Analyses behind the computational monograph on innovation in complex safeguarding.

One module a concern (see the project's DESIGN notes): loaders read files, analysis
modules return results objects, ``figures`` and ``disclosure`` prepare what a chapter
shows, and notebooks only load, call, show and glue.
"""

__version__ = "0.1.0"
