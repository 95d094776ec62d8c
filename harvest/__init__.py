"""Harvesting: Scrapy spiders for the search engines and importers for exported files."""
