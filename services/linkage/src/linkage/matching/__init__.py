"""Record linkage: deterministic on pseudonyms, probabilistic (Fellegi-Sunter) on
quasi-identifiers."""
