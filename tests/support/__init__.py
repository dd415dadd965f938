"""Helpers shared by the test suites: an HTTP client and a server process."""
