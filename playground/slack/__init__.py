"""A stand-in for Slack, shared by the playground and the tests: the Web API an app calls (`webapi`), and the
requests Slack sends to an app (`payloads`)."""
