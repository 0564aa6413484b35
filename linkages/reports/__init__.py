"""``linkages reports``: build the program managers' report snapshots of a match run."""
