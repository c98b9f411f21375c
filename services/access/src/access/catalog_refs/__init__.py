"""What the access service knows of the catalogue: the datasets it has registered."""
