"""Statistics layer: pure estimators on arrays and frames with explicit column arguments.
No file I/O, no plotting, no study vocabulary (site or outcome names)."""
