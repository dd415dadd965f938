"""Persistence: mongoengine documents, the event stores and Redis connections."""
