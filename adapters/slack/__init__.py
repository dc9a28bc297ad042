"""The Slack adapter: slack-bolt (AsyncApp) over HTTP or Socket Mode, rendering for Slack."""
