"""The web app: its server side (static files, same-origin passage to the API and the
file server) and its static files (``static/``)."""
