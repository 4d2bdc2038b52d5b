"""Adapters: the database, PDF rendering, password hashing and other outside systems."""
