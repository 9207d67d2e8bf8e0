"""Development and test tooling of the project; nothing here runs in production."""
