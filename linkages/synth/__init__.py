"""The synthetic California population behind every demo, test and benchmark of Linkages.

``generate(out, scale, seed)`` writes the extract files of ``docs/data-files.md``: CalWORKs
children, cases and aid periods; CWS/CMS children, allegations, case components and the foster
care file; and the truth (which records are the same child) with its seed-004 statistics.
Everything it draws from is data in ``config/synth/`` and ``config/codes/``.

Modelling decisions a user of the files should know:

- Counts are exact: CalWORKs children = round(1,785,978 × scale), CWS children =
  round(690,593 × scale), children in both = round(250,135 × scale), CWS children with a case =
  round(126,270 × scale), of whom round(59,921 × scale) are in CalWORKs. "Persons" are true
  children; records add within-source duplicates (``truth.csv`` says which).
- A CWS child's ``case_id`` is the case associated with its referral in the match window
  (2019-2020), shared by siblings. A duplicate CWS record keeps it half the time. A CWS person
  "has a case" when any of its records has a case_id (as in ``truth_stats.json``).
- Every foster child is a CWS child of the window (the foster care ``child_id`` is the child's
  first CWS record). With ~25,000 entries a year from 2014 to the 2025-10-01 cutoff and only
  690,593 CWS children, about 40% of CWS children have a foster-care history: the brief's
  figures force it. Care that touches the window belongs to a child with a case; care wholly
  before or after the window to a child without one. Each placement episode has a case of its
  own in ``cws_case_components.csv`` (ER, FR, PP, FM after reunification); only the case
  touching the window is the case_id on the person record.
- ``birth_dt`` in the foster care file is the child's recorded CWS birth date (errors
  included), or the true one where the record has none or one after the first entry.
- File rows are in a seeded random order: neither family nor source category shows through
  the order of the rows.
"""

from linkages.synth.generate import generate

__all__ = ["generate"]
