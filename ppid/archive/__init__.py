"""The case archive: BagIt bags, fixity, dossier, print copies, records management."""
