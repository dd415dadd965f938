"""Version numbers of the server and of the API level it serves."""

__version__ = "0.1.0"

# The API level the login token and server.info claim, unversioned calls resolve to and
# apiserver.version.check_max_version compares with. 2.9 is the level of the reference
# server v0.16.1. Some events actions are served up to 2.30 (issue 17) to callers that
# ask for those versions in the path; the claim stays 2.9 until the tasks and projects
# services serve the 2.23+ request shapes (issue 16): an SDK that read a higher claim
# would switch every call to those shapes.
API_VERSION = "2.9"

# The reference release whose behaviour this server reproduces; clients read it from
# the login token and append it to their client string.
COMPATIBLE_SERVER_VERSION = "0.16.1"
