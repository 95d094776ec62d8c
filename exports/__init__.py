"""Exports: reference lists for librarians, one module per format."""
