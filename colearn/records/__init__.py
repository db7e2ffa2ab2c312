"""The domain records every layer shares: the catalogue's and the spine's pydantic models.

The readers (``ingest``), the domain operations and the service validate with
the same models, imported from here (a shared helper at the package root, so
that the service never imports a reader):

- ``terms``: the values of kinds and statuses (``ThemeKind``, ``OpportunityMode``,
  ``PathwayKind``, ``PathwayStatus``).
- ``fields``: the field types (``Slug``, ``Ref``, ``RefList``, ``Session``, ...)
  and ``epoch`` (a record's date or time as epoch seconds UTC).
- ``catalogue``: ``DestinationRecord``, ``ThemeRecord``, ``PlaceRecord``,
  ``OrganisationRecord``, ``BadgeRecord``, ``OpportunityRecord``, ``StepRecord``,
  ``StepRow``, ``PathwayRecord``; ``step_id``; the pathway rule set shared by the
  reader and the API (``pathway_refs``, ``step_badge_problems``,
  ``pathway_reference_problems``, ``foreign_badge_problem``).
- ``spine``: ``SpineFile`` (the spine file's shape) and ``SpineCellRecord``.
"""

from colearn.records.catalogue import (
    BadgeRecord,
    DestinationRecord,
    OpportunityRecord,
    OrganisationRecord,
    PathwayRecord,
    PathwayRefs,
    PlaceRecord,
    StepRecord,
    StepRow,
    ThemeRecord,
    foreign_badge_problem,
    pathway_reference_problems,
    pathway_refs,
    step_badge_problems,
    step_id,
)
from colearn.records.spine import Framework, SpineCellRecord, SpineEntry, SpineFile
from colearn.records.terms import OpportunityMode, PathwayKind, PathwayStatus, ThemeKind

__all__ = ["BadgeRecord", "DestinationRecord", "Framework", "OpportunityMode", "OpportunityRecord",
           "OrganisationRecord", "PathwayKind", "PathwayRecord", "PathwayRefs", "PathwayStatus", "PlaceRecord", "SpineCellRecord",
           "SpineEntry", "SpineFile", "StepRecord", "StepRow", "ThemeKind", "ThemeRecord", "foreign_badge_problem",
           "pathway_reference_problems", "pathway_refs", "step_badge_problems",
           "step_id"]
