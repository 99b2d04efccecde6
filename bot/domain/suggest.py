"""Who in a team should take a piece of work: a pure ranking of candidates by skills, load and record.

The ranking, most important first (each later rule only breaks ties of the earlier ones):

1. **Away** people (time off recorded with `/task away` or `/team away`) come last, whatever else they have.
2. **Skill match**, higher first: 2 points for each of the person's skills asked for with `#skill`,
   1 point for each other skill of theirs named in the text. Skills compare by their words, so
   `#customer-support` matches "Customer support", and a plural `s` is ignored ("refunds" is
   named by "a refund").
3. **Open load**, lower first: the sum of `Priority.weight` of their open and accepted tasks
   (low 1, normal 2, high 3, urgent 4).
4. **On-time record**, higher first, over their last `ON_TIME_WINDOW` finished tasks that had a due
   date, smoothed as (on time + 1) / (finished + 2) so one lucky task does not beat a long record and
   a newcomer (no record: 1/2) sits between a good and a poor one.
5. **User id**, so equal people always come in the same order.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from bot.domain.model import Priority

ON_TIME_WINDOW = 20
EXPLICIT_POINTS = 2
NAMED_POINTS = 1
# Load words for the New task modal's hint; a normal task weighs 2.
LIGHT_LOAD_MAX = 4
MODERATE_LOAD_MAX = 10

_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Candidate:
    """What the ranking knows of one person.

    `recent_finishes` holds, newest first, whether each finished task with a due date was done by
    it (True) or late (False); only the first `ON_TIME_WINDOW` count.
    """

    user_id: str
    skills: frozenset[str] = frozenset()
    open_tasks: tuple[Priority, ...] = ()
    recent_finishes: tuple[bool, ...] = ()
    away: bool = False


@dataclass(frozen=True)
class Suggestion:
    """One ranked person and the facts behind their place, for the reply to say why."""

    user_id: str
    matched_skills: tuple[str, ...]  # asked for with #skill first, then named in the text
    skill_points: int
    load: int
    open_tasks: int
    on_time: int
    finished: int
    away: bool

    @property
    def on_time_percent(self) -> int | None:
        """Rounded on-time rate, None without any finished task that had a due date."""
        if self.finished == 0:
            return None
        return round(100 * self.on_time / self.finished)


def skill_words(text: str) -> tuple[str, ...]:
    """The words of a skill or a text as compared: lowercase, split at anything but letters and
    digits, a plural `s` dropped from words longer than three letters (but not from "-ss")."""
    words = []
    for word in _WORD.findall(text.lower()):
        if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        words.append(word)
    return tuple(words)


def _named_in(words: tuple[str, ...], text_words: tuple[str, ...]) -> bool:
    if not words:
        return False
    size = len(words)
    return any(text_words[start : start + size] == words for start in range(len(text_words) - size + 1))


def _suggestion(candidate: Candidate, *, wanted: frozenset[tuple[str, ...]], text_words: tuple[str, ...]) -> Suggestion:
    explicit = sorted(skill for skill in candidate.skills if skill_words(skill) in wanted)
    named = sorted(
        skill for skill in candidate.skills if skill not in explicit and _named_in(skill_words(skill), text_words)
    )
    recent = candidate.recent_finishes[:ON_TIME_WINDOW]
    return Suggestion(
        user_id=candidate.user_id,
        matched_skills=(*explicit, *named),
        skill_points=EXPLICIT_POINTS * len(explicit) + NAMED_POINTS * len(named),
        load=sum(priority.weight for priority in candidate.open_tasks),
        open_tasks=len(candidate.open_tasks),
        on_time=sum(1 for on_time in recent if on_time),
        finished=len(recent),
        away=candidate.away,
    )


def _order(suggestion: Suggestion) -> tuple[bool, int, int, Fraction, str]:
    record = Fraction(suggestion.on_time + 1, suggestion.finished + 2)
    return (suggestion.away, -suggestion.skill_points, suggestion.load, -record, suggestion.user_id)


def rank_candidates(
    candidates: Sequence[Candidate], *, wanted_skills: frozenset[str], text: str, limit: int = 3
) -> list[Suggestion]:
    """The best `limit` people for the work described by `text` and `wanted_skills` (module docstring)."""
    user_ids = [candidate.user_id for candidate in candidates]
    if len(set(user_ids)) != len(user_ids):
        raise ValueError("each candidate must appear once")
    if limit <= 0:
        return []
    wanted = frozenset(words for words in map(skill_words, wanted_skills) if words)
    text_words = skill_words(text)
    ranked = sorted((_suggestion(c, wanted=wanted, text_words=text_words) for c in candidates), key=_order)
    return ranked[:limit]


def unmatched_skills(candidates: Sequence[Candidate], *, wanted_skills: frozenset[str]) -> tuple[str, ...]:
    """The skills asked for that no candidate has, in alphabetical order."""
    held = {skill_words(skill) for candidate in candidates for skill in candidate.skills}
    return tuple(sorted(skill for skill in wanted_skills if skill_words(skill) not in held))


def load_word(load: int) -> str:
    """A weighted load said in words, for short hints: no open tasks, light, moderate or heavy."""
    if load <= 0:
        return "no open tasks"
    if load <= LIGHT_LOAD_MAX:
        return "light load"
    if load <= MODERATE_LOAD_MAX:
        return "moderate load"
    return "heavy load"
