"""Baton's tables as SQLAlchemy 2.x typed models; every datetime is aware UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Row,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

# Named constraints, so Alembic batch migrations on SQLite can find them again.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware UTC; refuses naive values and adds UTC back on SQLite, which drops zones."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: Baton stores aware UTC only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is UTC:  # PostgreSQL in a UTC session (storage.db.make_engine)
            return value
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON}


class Workspace(Base):
    __tablename__ = "workspaces"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # Slack team id
    last_task_number: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    # Set by app_uninstalled / tokens_revoked: nothing is sent there until Baton is installed or used again.
    uninstalled_at: Mapped[datetime | None] = mapped_column(default=None)


class Person(Base):
    """A Slack user as last read from `users.info`; `fetched_at` drives the cache expiry."""

    __tablename__ = "people"

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    tz: Mapped[str] = mapped_column(String(64), default="UTC")
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    is_bot: Mapped[bool] = mapped_column(Boolean, default=False)
    is_deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    fetched_at: Mapped[datetime]
    # `/task hours`: HH:MM, HH:MM and Python weekdays ("0,1,2,3,4"); None: the default 08:00-20:00 weekdays.
    work_start: Mapped[str | None] = mapped_column(String(5), default=None)
    work_end: Mapped[str | None] = mapped_column(String(5), default=None)
    work_days: Mapped[str | None] = mapped_column(String(20), default=None)
    # `/task holidays`: the person's own public-holiday calendar (`JP`, `DE-BY`), over their team's.
    calendar: Mapped[str | None] = mapped_column(String(16), default=None)
    # Slack status from users.info / user_change; an away status counts as time off.
    status_emoji: Mapped[str] = mapped_column(String(100), default="", server_default="")
    status_text: Mapped[str] = mapped_column(String(200), default="", server_default="")
    status_expiration: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Baton's DM with them (`D…`), as Slack answered the first post to their user id.
    dm_channel_id: Mapped[str | None] = mapped_column(String(32), default=None)


class Team(Base):
    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("workspace_id", "channel_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    channel_id: Mapped[str] = mapped_column(String(32))
    tz: Mapped[str] = mapped_column(String(64))
    checkin_days: Mapped[str] = mapped_column(String(20), default="0,1,2,3,4")  # Python weekdays
    checkin_time: Mapped[str] = mapped_column(String(5), default="10:00")  # HH:MM, local
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]
    last_recognition_at: Mapped[datetime | None]
    # When the weekly recognition is next due (Friday 16:00 team time), for the planner's scan.
    next_recognition_at: Mapped[datetime | None] = mapped_column(index=True)
    # `/team holidays`: the team's public-holiday calendar; a person's own one comes first.
    calendar: Mapped[str | None] = mapped_column(String(16), default=None)
    # `/team escalation`: managers hear of a task after this many unanswered check-ins in a row; 0: off.
    escalation_after: Mapped[int] = mapped_column(Integer, default=2, server_default="2")

    managers: Mapped[list[TeamManager]] = relationship(
        back_populates="team", cascade="all, delete-orphan", lazy="selectin"
    )


class TeamManager(Base):
    __tablename__ = "team_managers"

    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    # When this manager's weekly digest is next due (Monday 09:00 in their zone), for the planner's
    # scan; None until the planner first sees the manager.
    next_digest_at: Mapped[datetime | None] = mapped_column(index=True, default=None)

    team: Mapped[Team] = relationship(back_populates="managers")


class Skill(Base):
    """One skill a manager recorded for a person in a team (`/team skills`), normalised lowercase."""

    __tablename__ = "skills"
    __table_args__ = (
        UniqueConstraint("workspace_id", "team_id", "user_id", "skill"),
        Index("ix_skills_workspace_team", "workspace_id", "team_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(32))
    skill: Mapped[str] = mapped_column(String(30))


class TaskSeries(Base):
    """A recurring task (`/task @x … every mon`): each occurrence is an ordinary task linked to it.

    `rule` and `at` are `bot.domain.recurrence.Rule` stored; `tz` is the delegator's zone at creation.
    `last_due_at` is the due time of the latest occurrence created: when it comes (or that occurrence is
    done) the next one, due `next_due_at`, is created and both move on.
    """

    __tablename__ = "task_series"
    # The planner's scan: active series whose latest occurrence's moment has come.
    __table_args__ = (Index("ix_task_series_active_last_due_at", "active", "last_due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    title: Mapped[str] = mapped_column(String(200))
    assignee_id: Mapped[str] = mapped_column(String(32))
    delegator_id: Mapped[str] = mapped_column(String(32))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    priority: Mapped[str] = mapped_column(String(10))
    rule: Mapped[str] = mapped_column(String(20))
    at: Mapped[str] = mapped_column(String(5))  # HH:MM, wall time in `tz`
    tz: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_channel_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]
    stopped_at: Mapped[datetime | None]
    last_due_at: Mapped[datetime]
    next_due_at: Mapped[datetime]


class Task(Base):
    __tablename__ = "tasks"
    __table_args__ = (
        UniqueConstraint("workspace_id", "number"),
        # The scheduler's scan: tasks whose next follow-up is due, in `next_check_at` order. Partial:
        # finished tasks clear `next_check_at`, so the index holds only tasks still to follow up, and
        # PostgreSQL reads it in order instead of sorting every due row (docs/performance.md).
        Index(
            "ix_tasks_next_check_at",
            "next_check_at",
            postgresql_where=text("next_check_at IS NOT NULL"),
            sqlite_where=text("next_check_at IS NOT NULL"),
        ),
        Index("ix_tasks_workspace_assignee", "workspace_id", "assignee_id", "status"),
        Index("ix_tasks_workspace_delegator", "workspace_id", "delegator_id", "status"),
        Index("ix_tasks_workspace_team", "workspace_id", "team_id", "status"),
        Index("ix_tasks_workspace_due", "workspace_id", "status", "due_at"),
        # `/team report`: a team's tasks done since a moment.
        Index("ix_tasks_workspace_team_done", "workspace_id", "team_id", "done_at"),
        # One occurrence of a series per moment, however many planners race to create it.
        UniqueConstraint("series_id", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    details: Mapped[str] = mapped_column(Text, default="")
    assignee_id: Mapped[str] = mapped_column(String(32))
    delegator_id: Mapped[str] = mapped_column(String(32))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    priority: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10))
    due_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    done_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    decline_reason: Mapped[str | None] = mapped_column(Text)
    created_channel_id: Mapped[str | None] = mapped_column(String(32))
    source_link: Mapped[str | None] = mapped_column(String(500))
    # Bumped on each (re)assignment so every assignment DM has its own dedupe key.
    assignment_seq: Mapped[int] = mapped_column(Integer, default=1)
    # The assignment DM, so Baton can update it when the task changes.
    assignment_channel_id: Mapped[str | None] = mapped_column(String(32))
    assignment_ts: Mapped[str | None] = mapped_column(String(32))
    # When the planner should next look at this task (check-in, warning, overdue); None: never.
    next_check_at: Mapped[datetime | None]
    # The scheduled moment of the last check-in planned (creation time until the first one).
    checkin_after: Mapped[datetime | None]
    # The latest overdue moment already notified, so each is sent once however the days fall.
    overdue_after: Mapped[datetime | None]
    # The recurring series this task is an occurrence of (`/task … every …`); None for one-off tasks.
    series_id: Mapped[int | None] = mapped_column(ForeignKey("task_series.id"))
    # Snooze ("Later" on a check-in): a one-off check-in then; and when it was last asked for.
    snoozed_until: Mapped[datetime | None]
    snoozed_at: Mapped[datetime | None]
    # Check-ins planned in a row with no answer since; an answer resets it. Escalated: when managers were told.
    checkins_unanswered: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_answer_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]
    # When the task was handed to its current assignee (creation or the last reassignment).
    assigned_at: Mapped[datetime | None]
    # Not accepted yet: when the one reminder to accept or decline was planned, and when the delegator
    # was told it is still unanswered.
    reminded_at: Mapped[datetime | None]
    unanswered_told_at: Mapped[datetime | None]

    history: Mapped[list[TaskEvent]] = relationship(
        back_populates="task", order_by="TaskEvent.id", cascade="all, delete-orphan"
    )


# A row of the tasks table's columns, read by name like a `Task` (for views that only read; no ORM object).
TaskRow = Row[Any]


class TaskEvent(Base):
    """One line of a task's history: who did what, when."""

    __tablename__ = "task_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    actor_id: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(Text, default="")

    task: Mapped[Task] = relationship(back_populates="history")


class Kudos(Base):
    __tablename__ = "kudos"
    __table_args__ = (Index("ix_kudos_workspace_team_created", "workspace_id", "team_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    giver_id: Mapped[str] = mapped_column(String(32))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    channel_id: Mapped[str] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]

    recipients: Mapped[list[KudosRecipient]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="KudosRecipient.position"
    )


class KudosRecipient(Base):
    __tablename__ = "kudos_recipients"

    kudos_id: Mapped[int] = mapped_column(ForeignKey("kudos.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


# Rows still to send, and rows the outbox is done with (sent, failed, skipped): the predicates of ix_outbox_due
# and ix_outbox_settled. Queries repeat them with the states written out (storage.repositories.shared): SQLite
# uses a partial index only for a query that states its predicate, and a bound parameter does not.
STILL_TO_SEND_ROWS = "state IN ('pending', 'sending')"
SETTLED_ROWS = "state NOT IN ('pending', 'sending')"


class OutboxMessage(Base):
    """A message Baton owes someone; the unique dedupe key makes it exist, and go out, once."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("workspace_id", "dedupe_key"),
        # Settled rows by state, for the outbox gauge. Partial, like the two indexes below: a claim (pending ->
        # sending) writes no entry into them, only into the indexes it needs (docs/performance.md, the claim).
        Index(
            "ix_outbox_settled",
            "state",
            postgresql_where=text(SETTLED_ROWS),
            sqlite_where=text(SETTLED_ROWS),
        ),
        # The claim's scan: rows still to send, in the order they fall due (OutboxRepository.claim).
        Index(
            "ix_outbox_due",
            "not_before",
            "id",
            postgresql_where=text(STILL_TO_SEND_ROWS),
            sqlite_where=text(STILL_TO_SEND_ROWS),
        ),
        # Messages Baton sent, found by (channel, ts): a reaction's check-in, a message's rows.
        Index(
            "ix_outbox_channel_ts",
            "channel_id",
            "ts",
            postgresql_where=text("ts IS NOT NULL"),
            sqlite_where=text("ts IS NOT NULL"),
        ),
        # `/team report`: the check-ins sent in a period.
        Index(
            "ix_outbox_workspace_kind_sent",
            "workspace_id",
            "kind",
            "sent_at",
            postgresql_where=text("sent_at IS NOT NULL"),
            sqlite_where=text("sent_at IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    dedupe_key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    recipient_id: Mapped[str] = mapped_column(String(32))  # a user (DM) or a channel
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(10))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    channel_id: Mapped[str | None] = mapped_column(String(32))
    ts: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(String(200))
    # How the person answered this check-in ("on_track", "blocked: …", "snoozed"), so a message about
    # several tasks can be drawn again with this task's row answered and the others' buttons live.
    answer: Mapped[str | None] = mapped_column(String(600), default=None)
    # When it was first claimed to be sent: a look for it after a lost answer starts after the messages Baton
    # knew in that conversation before then.
    first_tried_at: Mapped[datetime | None] = mapped_column(default=None)
    # Deferred to a place in its workspace's chat.postMessage budget, which it holds while it waits (a post put back
    # to wait its conversation's turn waits for a moment, not a place); a claim clears it.
    budget_place: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class TimeOff(Base):
    """A person away from `starts_at` to `ends_at` (exclusive, UTC): no check-ins or warnings then."""

    __tablename__ = "time_off"
    __table_args__ = (Index("ix_time_off_workspace_user_ends", "workspace_id", "user_id", "ends_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    user_id: Mapped[str] = mapped_column(String(32))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]


class ProcessedEvent(Base):
    """Events API deliveries already handled, so Slack's retries change nothing twice."""

    __tablename__ = "processed_events"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(32))
    received_at: Mapped[datetime]


# -- Slack's OAuth tables --------------------------------------------------------------------------
# The shapes of slack_sdk's SQLAlchemyInstallationStore and SQLAlchemyOAuthStateStore tables, declared here so
# the Alembic migrations create them (never `create_tables()` at run time) and `alembic check` sees them. Token
# columns are Text rather than String(200): they hold Fernet ciphertext (bot/slack/installations.py), which is
# longer than the token. tests/unit/test_installations.py keeps the column names equal to slack_sdk's.
_TOKEN = Text


def _installed_at() -> Column[datetime]:
    return Column("installed_at", DateTime, nullable=False)


slack_installations = Table(
    "slack_installations",
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client_id", String(32), nullable=False),
    Column("app_id", String(32), nullable=False),
    Column("enterprise_id", String(32)),
    Column("enterprise_name", String(200)),
    Column("enterprise_url", String(200)),
    Column("team_id", String(32)),
    Column("team_name", String(200)),
    Column("bot_token", _TOKEN),
    Column("bot_id", String(32)),
    Column("bot_user_id", String(32)),
    Column("bot_scopes", String(1000)),
    Column("bot_refresh_token", _TOKEN),
    Column("bot_token_expires_at", DateTime),
    Column("user_id", String(32), nullable=False),
    Column("user_token", _TOKEN),
    Column("user_scopes", String(1000)),
    Column("user_refresh_token", _TOKEN),
    Column("user_token_expires_at", DateTime),
    Column("incoming_webhook_url", _TOKEN),
    Column("incoming_webhook_channel", String(200)),
    Column("incoming_webhook_channel_id", String(200)),
    Column("incoming_webhook_configuration_url", String(200)),
    Column("is_enterprise_install", Boolean, default=False, nullable=False),
    Column("token_type", String(32)),
    _installed_at(),
    Index("slack_installations_idx", "client_id", "enterprise_id", "team_id", "user_id", "installed_at"),
)

slack_bots = Table(
    "slack_bots",
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client_id", String(32), nullable=False),
    Column("app_id", String(32), nullable=False),
    Column("enterprise_id", String(32)),
    Column("enterprise_name", String(200)),
    Column("team_id", String(32)),
    Column("team_name", String(200)),
    Column("bot_token", _TOKEN),
    Column("bot_id", String(32)),
    Column("bot_user_id", String(32)),
    Column("bot_scopes", String(1000)),
    Column("bot_refresh_token", _TOKEN),
    Column("bot_token_expires_at", DateTime),
    Column("is_enterprise_install", Boolean, default=False, nullable=False),
    _installed_at(),
    Index("slack_bots_idx", "client_id", "enterprise_id", "team_id", "installed_at"),
)

slack_oauth_states = Table(
    "slack_oauth_states",
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("state", String(200), nullable=False),
    Column("expire_at", DateTime, nullable=False),
)
