"""Device layer: one model for every device, drivers chosen by URL, protocols as pure codecs.

Never imports Kivy, ``kiosk.services`` or ``kiosk.central``, and knows nothing of citizens or accounts.
"""
