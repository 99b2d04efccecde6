"""The only code that talks to Slack's Web API."""
