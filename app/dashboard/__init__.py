"""The home page of each shell."""
