"""The pure domain of jcredit: rules, values and calculations, standard library only.

Nothing in this package talks to a database, the network or a framework; an import-linter
contract in ``pyproject.toml`` enforces that. Everything here can be unit-tested in isolation.
"""
