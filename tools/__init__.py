"""Developer tools of the repository (not part of the installed package): `tools.docgen` writes the
generated pages of docs/ (`make docs`)."""
