"""Text a client sends that Postgres stores: no NUL character (the database refuses it, so
a schema refuses it first, as malformed input: 422 with the field's location)."""

STORABLE = r"^[^\x00]*$"
