"""Citizen and staff flows as plain Python: plain data in and out, no Kivy, testable without a screen."""
