"""Using credits: offset calculators, offsets, certificates and reports (issue 15)."""
