"""Suspicious-activity alerts (the paper's early warning): rules over sign-ins, password changes and
withdrawals, run where those happen; alerts listed and acknowledged by operators (docs/alerts.md)."""

from central_server.alerts.config import AlertRulesFileError, load_alert_rules
from central_server.alerts.routes import router
from central_server.alerts.rules import AlertRules
from central_server.alerts.watch import configure

__all__ = ["AlertRules", "AlertRulesFileError", "configure", "load_alert_rules", "router"]
