"""The app's screens: the main screen, help, and small prompts."""
