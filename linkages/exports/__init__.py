"""Evaluators' de-identified linked-cohort exports: the cohort (cohort.py), its
de-identification and bundle (bundle.py), and `linkages export` (cli.py)."""
