"""ppid-keberatan: the objection desk of a PPID, from intake to the archive."""

from ppid.core import logsafe

logsafe.install()  # every process running our code: no raw control character in a log line
