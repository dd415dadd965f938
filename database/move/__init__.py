"""``stationmaster move-store``: an embedded installation copied to the team stores.

The documents (litemongo) go to MongoDB, the events and statistics (SQLite) to
Elasticsearch 7 through the event and statistics stores' index templates, every id kept
(docs/deployment.md, "From one machine to a team"). The conventions are migrate-es's:
progress lines, a resumable marker on the destination, verification, exit codes.
"""
