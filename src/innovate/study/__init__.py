"""Study layer: the study assembled from data + stats/econ (area series and comparisons,
cohort, costs, process, surveys, national picture)."""
