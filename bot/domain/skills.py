"""What a skill is (a short lowercase label a manager gives a person in a team), and how one is read."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.domain.errors import BadInput
from bot.domain.text import clip, escape

MAX_SKILL_CHARS = 30
MAX_SKILLS_PER_PERSON = 20
SKILL_RULES = f"each skill is 1-{MAX_SKILL_CHARS} letters, digits, spaces or dashes"


@dataclass(frozen=True)
class PersonSkills:
    """One person of a team and the skills recorded for them there (possibly none yet)."""

    user_id: str
    skills: tuple[str, ...] = ()


def normalise_skill(raw: str) -> str:
    """A skill as stored and compared: trimmed, inner spaces collapsed, lowercase, a leading `#` dropped.

    Raises BadInput when it is too long or holds anything but letters, digits, spaces and dashes.
    """
    skill = " ".join(raw.strip().removeprefix("#").split()).lower()
    shown = escape(clip(raw.strip(), MAX_SKILL_CHARS + 10))
    if len(skill) > MAX_SKILL_CHARS:
        raise BadInput(f'"{shown}" is too long for a skill; {SKILL_RULES}.')
    only_allowed = all(char.isalnum() or char in " -" for char in skill)
    if not only_allowed or not any(char.isalnum() for char in skill):
        raise BadInput(f'"{shown}" is not a skill; {SKILL_RULES}.')
    return skill


def normalise_skills(pieces: Iterable[str]) -> tuple[str, ...]:
    """Read a typed list of skills: blank pieces are skipped, repeats kept once, in the order typed."""
    skills: dict[str, None] = {}
    for piece in pieces:
        if piece.strip():
            skills[normalise_skill(piece)] = None
    if len(skills) > MAX_SKILLS_PER_PERSON:
        raise BadInput(
            f"That is {len(skills)} skills; give a person at most {MAX_SKILLS_PER_PERSON}, the ones that matter most."
        )
    return tuple(skills)
