"""The public site: applicants file an objection online, follow it, and download its letters."""
