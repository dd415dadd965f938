"""Stationmaster: an experiment-manager server speaking the ClearML / Trains API."""
