"""Use cases: load rows, call the domain, write, commit, then enqueue."""
