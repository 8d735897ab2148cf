"""E-mail intake: the message ledger, IMAP access, MIME parsing."""
