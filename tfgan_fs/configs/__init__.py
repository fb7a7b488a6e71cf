"""Numbers: the reference presets the flagfiles in the repository's configs/ name."""
