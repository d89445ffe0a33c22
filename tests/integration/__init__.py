"""Both services running together: the catalog checking tokens with the identity service."""
