"""Screening: the review protocol's three stages, rules, ranking, decisions and agreement."""
