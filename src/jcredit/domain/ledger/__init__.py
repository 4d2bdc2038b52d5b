"""The credit ledger: serial ranges, credit blocks, accounts, uses, the journal and its replay."""
