"""Synthetic layer: the data generator, its true effects, and the simulation study of the
book's estimators (which runs the study's estimators and draws in the house style)."""
