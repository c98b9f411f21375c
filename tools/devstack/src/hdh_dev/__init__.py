"""Development stack: embedded servers and the `make up` launcher."""
