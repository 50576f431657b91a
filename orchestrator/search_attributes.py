"""The custom search attributes that make a case findable in Temporal (UI, CLI, visibility API).

None carries personal data: a life-event type, OneStop's own status, whom the case waits for,
which agency, and since when it needs attention. The workflow upserts them when they change.
"""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

LIFE_EVENT = SearchAttributeKey.for_keyword("OneStopType")
STATUS = SearchAttributeKey.for_keyword("OneStopStatus")
WAITING_FOR = SearchAttributeKey.for_keyword("OneStopWaitingFor")
AGENCY = SearchAttributeKey.for_keyword("OneStopAgency")
ATTENTION_SINCE = SearchAttributeKey.for_datetime("OneStopAttentionSince")


KEYWORDS = (LIFE_EVENT, STATUS, WAITING_FOR, AGENCY)
DATETIMES = (ATTENTION_SINCE,)
