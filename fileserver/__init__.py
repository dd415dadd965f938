"""The file server (see issue: file server)."""
