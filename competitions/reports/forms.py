"""The report's buttons (publish and withdraw the open data)."""

from __future__ import annotations

from competitions.core.forms import BaseForm


class ButtonForm(BaseForm):
    pass
