"""Show layer: house style, figures, display tables, text and glue for the notebooks."""
