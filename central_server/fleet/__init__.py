"""Fleet management at the centre: signed configuration bundles, staged rollouts, kiosk heartbeats and
the kiosks' reports of what they did with each bundle."""

from central_server.fleet.routes import install

__all__ = ["install"]
