"""Version numbers of the server and of the API level it serves."""

__version__ = "0.1.0"

# The API level the login token claims and unversioned calls resolve to. 2.9 is the
# level of the reference server v0.16.1, whose surface this milestone reproduces.
API_VERSION = "2.9"

# The reference release whose behaviour this server reproduces; clients read it from
# the login token and append it to their client string.
COMPATIBLE_SERVER_VERSION = "0.16.1"
