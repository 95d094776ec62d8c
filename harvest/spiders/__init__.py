"""One spider per engine: ``oria`` (Primo VE JSON) and ``scholar`` (saved result pages)."""
