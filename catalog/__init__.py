"""The data: catalog entries, their schema and validation, loading, caching and lookups."""
