"""How a round's results are computed, in plain English and French, for the results page: the
rules of ``normalization``, ``ranking`` and ``leniency`` without the formulas."""

from __future__ import annotations


def explanation(lang: str = "en", *, min_reviews: int | None = None) -> str:
    """How results are computed, in Markdown, in French when ``lang`` starts with "fr" and in
    English otherwise. ``min_reviews`` puts the round's number in the text."""
    if lang.lower().startswith("fr"):
        n = (
            "le nombre minimal d'évaluations fixé par la grille d'évaluation"
            if min_reviews is None
            else str(min_reviews)
        )
        return _FR.format(n=n)
    n = (
        "the minimum number of reviews set in the rubric"
        if min_reviews is None
        else str(min_reviews)
    )
    return _EN.format(n=n)


_EN = """\
1. **Raw score of a review, from 0 to 100.** Each criterion's score is placed on its scale \
(0 for the lowest score, 1 for the highest); the raw score is the weighted average of these \
positions, times 100.
2. **Normalized score of a review.** Some judges score more generously than others. For a \
judge with at least {n} reviews in the round, each score is measured against the judge's own \
habits: how far it is from their average, in units of their own standard deviation (the \
*z-score*; 0 when all their scores are equal). It is then put back on the 0 to 100 scale of the \
round: normalized score = μ + σ × z-score, where μ and σ are the average and the standard \
deviation of all raw scores of the round. For a judge with fewer reviews, the raw score is kept.
3. **Score of a submission.** The average of its reviews' normalized scores (and, shown beside \
it, of their raw scores). The spread is the highest raw score minus the lowest.
4. **Ranks.** By normalized score, in each track and across all tracks: all tracks share the \
rubric and μ and σ, so scores are comparable. Equal scores (to 9 decimal places) are separated, \
in turn, by the higher raw score, more reviews, the earlier submission and the lower submission \
number, so every submission has its own rank; "tie" shows where this rule decided. Submissions \
without a review are not ranked.
5. **Leniency of a judge.** On the submissions the judge shares with other judges, the average \
gap between the judge's raw score and the average of the others' raw scores. A judge is lenient \
(above) or severe (below) when the gap is more than 5 points and more than 2 × s ÷ √k, where k \
is the number of shared submissions and s the typical gap of one review in the round (the root \
mean square of all these gaps); otherwise typical.
6. **Outlier reviews.** A review whose raw score differs from the average of the other reviews \
of the same submission (at least 2 others) by more than 15 points and more than 3 × s, when \
no other review of that submission is farther from its own others.
"""  # noqa: RUF001 (the Greek letters and the times sign are meant)

_FR = """\
1. **Note brute d'une évaluation, de 0 à 100.** La note de chaque critère est placée sur son \
échelle (0 pour la note la plus basse, 1 pour la plus haute) ; la note brute est la moyenne \
pondérée de ces positions, multipliée par 100.
2. **Note normalisée d'une évaluation.** Certains membres du jury notent plus généreusement \
que d'autres. Pour un membre du jury ayant fait au moins {n} évaluations dans la phase, chaque \
note est rapportée à ses propres habitudes : son écart à sa moyenne, exprimé en unités de son \
propre écart type (la *cote z* ; 0 si toutes ses notes sont égales). Elle est ensuite replacée \
sur l'échelle de 0 à 100 de la phase : note normalisée = μ + σ × cote z, où μ et σ sont la \
moyenne et l'écart type de toutes les notes brutes de la phase. Pour un membre du jury ayant \
fait moins d'évaluations, la note brute est conservée.
3. **Note d'une soumission.** La moyenne des notes normalisées de ses évaluations (et, affichée \
à côté, celle de leurs notes brutes). L'étendue est la note brute la plus haute moins la plus \
basse.
4. **Rangs.** Selon la note normalisée, dans chaque volet et tous volets confondus : tous les \
volets partagent la grille d'évaluation ainsi que μ et σ, leurs notes sont donc \
comparables. Les notes égales (à la 9e décimale) sont départagées, dans l'ordre, par la note \
brute la plus haute, le plus grand nombre d'évaluations, la soumission déposée le plus tôt, \
puis le plus petit numéro de soumission ; chaque soumission a donc son propre rang, et la \
mention « égalité » indique où cette règle a tranché. Les soumissions sans évaluation ne sont \
pas classées.
5. **Indulgence d'un membre du jury.** Sur les soumissions qu'il partage avec d'autres membres \
du jury, l'écart moyen entre sa note brute et la moyenne des notes brutes des autres. Il est \
jugé indulgent (au-dessus) ou sévère (au-dessous) lorsque cet écart dépasse à la fois 5 points \
et 2 × s ÷ √k, où k est le nombre de soumissions partagées et s l'écart habituel d'une \
évaluation dans la phase (la moyenne quadratique de tous ces écarts) ; sinon, il est jugé \
dans la norme.
6. **Évaluations atypiques.** Une évaluation dont la note brute s'écarte de plus de 15 points, \
et de plus de 3 × s, de la moyenne des autres évaluations de la même soumission (au moins \
2 autres), si aucune autre évaluation de cette soumission ne s'écarte davantage des siennes.
"""  # noqa: RUF001 (the Greek letters and the times sign are meant)

FORMULA_EN = explanation("en")
FORMULA_FR = explanation("fr")
