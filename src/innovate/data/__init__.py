"""Data layer: files in, validated tidy frames out. Nothing outside this package reads the
book's data files (paths, schemas, case-level and public data, site register, checksums)."""
