"""Claude Code: its hook events, their JSON input, and installing the hooks in settings.json."""
