"""Judging pages, by area; each module registers its routes on the judging blueprint.

- ``console``: a challenge's judging console, and what every judging template is given.
- ``rubric``: a round's review stages, criteria and judging settings.
- ``panels``: panels, invitations to judge, removal, conflicts recorded by admins.
- ``assignments``: the track admins' assignments and the judges' flags.
- ``workspace``: the judge's queue, review page, recusal, flags, files and profile.
- ``results``: results, the scores' CSV, advancement, winners and a team's feedback.
- ``release``: releasing a round's results now or at a chosen instant, and its preview.
- ``pages``: the loaders and helpers the pages share.
"""

from competitions.judging.views import (  # noqa: F401
    assignments,
    console,
    panels,
    release,
    results,
    rubric,
    workspace,
)
