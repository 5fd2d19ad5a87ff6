"""What analysts and teams see: Datasette over the digest (and, later, the weekly roundup)."""
