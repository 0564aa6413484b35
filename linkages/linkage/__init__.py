"""Linking CalWORKs children to CWS/CMS children: the `linkages match|evaluate|explain`
commands over the pure :mod:`matching` library."""
