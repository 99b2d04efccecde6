"""The playground: Baton with a local, Slack-like web page that plays Slack's part (`baton playground`).

Baton runs its production code path unchanged; this package is only the other side of the wire:
the Web API Baton calls, the signed requests Slack would send it, a clock to fast-forward, and a page.
"""
