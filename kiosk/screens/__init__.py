"""The kiosk's screens: the citizen's, and hall staff's maintenance screens. Thin: they show what a service
returns and call a service on a tap.

Screens are built on first use (the attract screen at start, the rest just after the first frame), so the
kiosk draws its first frame without parsing every screen's layout.
"""

from importlib import import_module

from kiosk.i18n import N_
from kiosk.screens.base import KioskScreen

SCREENS: dict[str, tuple[str, str]] = {
    "attract": ("kiosk.screens.attract", "AttractScreen"),
    "home": ("kiosk.screens.home", "HomeScreen"),
    "card": ("kiosk.screens.card", "CardScreen"),
    "password": ("kiosk.screens.password", "PasswordScreen"),
    "overview": ("kiosk.screens.account", "OverviewScreen"),
    "deposits": ("kiosk.screens.account", "DepositsScreen"),
    "loan": ("kiosk.screens.account", "LoanScreen"),
    "loan_plan": ("kiosk.screens.loan_plan", "LoanPlanScreen"),
    "withdrawal": ("kiosk.screens.withdrawal", "WithdrawalReasonsScreen"),
    "withdrawal_amount": ("kiosk.screens.withdrawal", "WithdrawalAmountScreen"),
    "withdrawal_card": ("kiosk.screens.withdrawal", "WithdrawalCardScreen"),
    "withdrawal_confirm": ("kiosk.screens.withdrawal", "WithdrawalConfirmScreen"),
    "withdrawal_result": ("kiosk.screens.withdrawal", "WithdrawalResultScreen"),
    "certificate": ("kiosk.screens.certificate", "CertificateScreen"),
    "certificate_period": ("kiosk.screens.certificate", "CertificatePeriodScreen"),
    "certificate_result": ("kiosk.screens.certificate", "CertificateResultScreen"),
    "password_change": ("kiosk.screens.password_change", "PasswordChangeScreen"),
    "appointment": ("kiosk.screens.appointment", "AppointmentScreen"),
    "appointment_office": ("kiosk.screens.appointment", "AppointmentOfficeScreen"),
    "appointment_slots": ("kiosk.screens.appointment", "AppointmentSlotsScreen"),
    "appointment_booked": ("kiosk.screens.appointment", "AppointmentBookedScreen"),
    "appointment_unavailable": ("kiosk.screens.appointment", "AppointmentUnavailableScreen"),
    "my_appointments": ("kiosk.screens.appointment", "MyAppointmentsScreen"),
    "pre_registration": ("kiosk.screens.pre_registration", "PreRegistrationScreen"),
    "pre_registration_checklist": ("kiosk.screens.pre_registration", "PreRegistrationChecklistScreen"),
    "pre_registration_done": ("kiosk.screens.pre_registration", "PreRegistrationDoneScreen"),
    "applications": ("kiosk.screens.applications", "ApplicationsScreen"),
    "rating": ("kiosk.screens.rating", "RatingScreen"),
    "complaint": ("kiosk.screens.complaint", "ComplaintScreen"),
    "complaint_topic": ("kiosk.screens.complaint", "ComplaintTopicScreen"),
    "complaint_phone": ("kiosk.screens.complaint", "ComplaintPhoneScreen"),
    "complaint_confirm": ("kiosk.screens.complaint", "ComplaintConfirmScreen"),
    "complaint_done": ("kiosk.screens.complaint", "ComplaintDoneScreen"),
    "notice": ("kiosk.screens.notice", "NoticeScreen"),
    "out_of_service": ("kiosk.screens.out_of_service", "OutOfServiceScreen"),
    "staff_sign_in": ("kiosk.screens.staff_sign_in", "StaffSignInScreen"),
    "maintenance_status": ("kiosk.screens.maintenance_status", "MaintenanceStatusScreen"),
    "maintenance_devices": ("kiosk.screens.maintenance_devices", "MaintenanceDevicesScreen"),
    "maintenance_paper": ("kiosk.screens.maintenance_paper", "MaintenancePaperScreen"),
    "maintenance_outbox": ("kiosk.screens.maintenance_outbox", "MaintenanceOutboxScreen"),
    "maintenance_service": ("kiosk.screens.maintenance_service", "MaintenanceServiceScreen"),
    "maintenance_restart": ("kiosk.screens.maintenance_service", "MaintenanceRestartScreen"),
    "goodbye": ("kiosk.screens.goodbye", "GoodbyeScreen"),
}

# Hall staff's screens (maintenance mode): no citizen, no visit.
STAFF_SCREENS = frozenset(name for name in SCREENS if name == "staff_sign_in" or name.startswith("maintenance_"))

# The maintenance screens' row of sections, in its order, with their labels.
MAINTENANCE_SECTIONS: list[tuple[str, str]] = [
    ("maintenance_status", N_("Status")),
    ("maintenance_devices", N_("Device tests")),
    ("maintenance_paper", N_("Paper")),
    ("maintenance_outbox", N_("Outbox")),
    ("maintenance_service", N_("Out of service")),
    ("maintenance_restart", N_("Restart")),
]


def make_screen(name: str) -> KioskScreen:
    module, cls = SCREENS[name]
    return getattr(import_module(module), cls)(name=name)
