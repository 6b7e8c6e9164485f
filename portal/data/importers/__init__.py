"""Importers from the two systems of record (life core CSV, property core JSON)."""
