"""The ``jcredit`` command line."""
