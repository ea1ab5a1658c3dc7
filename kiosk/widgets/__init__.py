"""Kivy widgets shared by the screens (buttons, header, keypad, countdown, demo panel)."""
