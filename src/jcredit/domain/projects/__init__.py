"""Projects: lifecycle, eligibility at registration, and the STEP0 estimate."""
