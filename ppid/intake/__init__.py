"""Taking files and e-mails in, exactly once: inbox, ledger, pairing, registration, desk actions."""
