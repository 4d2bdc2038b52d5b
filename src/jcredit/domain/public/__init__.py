"""Open to inspection (issue 16): public statistics and the historical figures."""
