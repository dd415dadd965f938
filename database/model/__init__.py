"""The mongoengine documents, with the reference server's collection and field names."""
