"""Version numbers of the server and of the API level it serves."""

__version__ = "0.1.0"

# The API level the login token and server.info claim, unversioned calls resolve to and
# apiserver.version.check_max_version compares with: 2.31, the level of the reference
# server v2.0.0 (issue 16). A client asking for an older version in the path gets that
# version's behaviour (trains 0.16 at 2.9, clearml-agent at 2.5); clearml 2.1 reads the
# claim and speaks v2.23 (docs/api.md "Versions").
API_VERSION = "2.31"

# The reference release whose behaviour this server reproduces; clients read it from
# the login token and append it to their client string.
COMPATIBLE_SERVER_VERSION = "2.0.0"
