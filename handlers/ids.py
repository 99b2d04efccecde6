"""Every id Baton listens to or sends: commands, action/callback/block ids, events, reactions.

Handlers, block builders and the manifest import them from here, so a typo cannot drop clicks
silently and the manifest declares exactly what Baton listens to.
"""

from __future__ import annotations

# Slash commands
COMMAND_TASK = "/task"
COMMAND_KUDOS = "/kudos"
COMMAND_TEAM = "/team"
COMMANDS: dict[str, tuple[str, str]] = {
    # command: (description, usage hint) as shown in Slack's autocomplete
    COMMAND_TASK: (
        "Create, delegate and follow tasks",
        "@person title by fri 5pm !high | list | suggest … | hours 09:00-17:30 | holidays JP | away … | help",
    ),
    COMMAND_KUDOS: ("Give someone a shout-out in the team channel", "@person [@person…] message"),
    COMMAND_TEAM: (
        "Set up this channel's team, its check-ins and reports",
        "setup | checkins weekdays 10:00 | holidays DE-BY | escalation 2 | report | skills | away | preview | help",
    ),
}

# Shortcuts
SHORTCUT_TASK_FROM_MESSAGE = "baton_task_from_message"

# Block actions
ACTION_ACCEPT = "baton_accept"
ACTION_DECLINE = "baton_decline"
ACTION_DONE = "baton_done"
ACTION_CHECKIN_ON_TRACK = "baton_checkin_on_track"
ACTION_CHECKIN_BLOCKED = "baton_checkin_blocked"
ACTION_CHECKIN_DONE = "baton_checkin_done"
ACTION_CHECKIN_LATER = "baton_checkin_later"
ACTION_OPEN_TASK_MODAL = "baton_open_task_modal"

# Modals (callback ids) and their inputs (block id, action id)
VIEW_NEW_TASK = "baton_new_task"
VIEW_DECLINE = "baton_decline_reason"
VIEW_BLOCKED = "baton_blocked_reason"

BLOCK_TITLE = "title"
BLOCK_DETAILS = "details"
BLOCK_ASSIGNEE = "assignee"
BLOCK_DUE_DATE = "due_date"
BLOCK_DUE_TIME = "due_time"
BLOCK_PRIORITY = "priority"
BLOCK_TEAM = "team"
BLOCK_REASON = "reason"

INPUT_TITLE = "title_input"
INPUT_DETAILS = "details_input"
INPUT_ASSIGNEE = "assignee_input"
INPUT_DUE_DATE = "due_date_input"
INPUT_DUE_TIME = "due_time_input"
INPUT_PRIORITY = "priority_input"
INPUT_TEAM = "team_input"
INPUT_REASON = "reason_input"

# Events
EVENT_APP_HOME_OPENED = "app_home_opened"
EVENT_REACTION_ADDED = "reaction_added"
EVENT_APP_UNINSTALLED = "app_uninstalled"
EVENT_TOKENS_REVOKED = "tokens_revoked"
EVENT_USER_CHANGE = "user_change"  # a person's zone or status changed
EVENT_MESSAGE = "message"  # Bolt's name for message events; Baton subscribes to those in its DMs only
EVENT_MESSAGE_IM = "message.im"  # the manifest's name for them
EVENTS = (
    EVENT_APP_HOME_OPENED,
    EVENT_REACTION_ADDED,
    EVENT_APP_UNINSTALLED,
    EVENT_TOKENS_REVOKED,
    EVENT_USER_CHANGE,
    EVENT_MESSAGE_IM,
)

# Message metadata that marks every message Baton posts (see CONTRACT "Each message is sent once")
METADATA_EVENT_TYPE = "baton_message"

# Emoji answers to a check-in (CONTRACT "What the scheduler sends")
REACTIONS_DONE = frozenset({"white_check_mark", "heavy_check_mark"})
REACTIONS_ON_TRACK = frozenset({"+1", "thumbsup"})
REACTIONS_BLOCKED = frozenset({"construction", "octagonal_sign", "no_entry"})

# Bot scopes, each for a call Baton makes or an event it receives
BOT_SCOPES = (
    "commands",  # slash commands and the message shortcut
    "chat:write",  # DMs, channel posts, chat.update
    "chat:write.public",  # celebrations in public team channels Baton was not invited to
    "im:write",  # conversations.open for DMs
    "im:history",  # conversations.history in DMs (find a message whose answer was lost); message.im events
    "channels:history",  # the same in public channels
    "groups:history",  # the same in private channels
    "users:read",  # users.info and user_change: time zone, status, name, admin flag
    "reactions:read",  # reaction_added on check-in messages
)
