"""The main screen's panes: one module each, rendering what the screen hands them."""
