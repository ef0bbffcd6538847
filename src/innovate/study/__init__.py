"""Study layer: the study assembled from data + stats/econ (area series and comparisons,
cohort, costs, process, surveys, national picture), and the site facade
(:func:`site`, in :mod:`innovate.study.site_report`): one call per section of a site chapter."""

from innovate.study.site_report import SectionResult, SiteReport, site

__all__ = ["SectionResult", "SiteReport", "site"]
