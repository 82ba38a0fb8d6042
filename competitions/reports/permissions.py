"""Who reads a challenge's report and who publishes its open data.

* The **report** follows the insights: the lead agency's members (and platform admins) read
  every track; a partner's members read their own track and the challenge's totals. Lessons
  appear as the lessons page shows them to the same person.
* The **open data** is published and withdrawn by the lead agency's admins; once published,
  anyone may download it from the public challenge page.
"""

from __future__ import annotations

from competitions.challenges.permissions import can_manage_challenge as can_publish_open_data
from competitions.insights.permissions import can_view_insights as can_view_report

__all__ = ["can_publish_open_data", "can_view_report"]
