"""What the kiosk offers at a given moment under a remote configuration: order, hours, notices."""

from datetime import datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from kiosk.remote_config.schema import SERVICE_IDS, RemoteConfig
from kiosk.services.policy import CENTRE_TIME, KioskPolicy
from kiosk.settings import load_settings
from tests.remote_config.conftest import REPO, example_config


def _policy(at: datetime) -> KioskPolicy:
    policy = KioskPolicy(load_settings(REPO / "config" / "demo.toml"), now=lambda: at)
    return policy


def test_local_defaults_without_a_bundle() -> None:
    policy = _policy(datetime(2026, 11, 27, 10, 0, tzinfo=CENTRE_TIME))
    assert [offer.id for offer in policy.services()] == list(SERVICE_IDS)
    assert {"withdrawal", "appointment", "pre_registration", "certificate", "status", "complaint"} <= set(
        SERVICE_IDS
    )
    assert policy.idle_timeout_s == 60 and policy.notices() == [] and policy.languages == ["zh_CN", "en"]


def test_a_service_outside_its_hours_says_when_it_opens() -> None:
    friday_evening = datetime(2026, 11, 27, 18, 30, tzinfo=CENTRE_TIME)
    policy = _policy(friday_evening)
    policy.update(RemoteConfig.model_validate(example_config()))
    offers = {offer.id: offer for offer in policy.services()}
    assert offers["overview"].open and offers["deposits"].open  # no hours of their own: always open
    loan = offers["loan"]
    assert not loan.open and loan.opens is not None
    assert (loan.opens[0], loan.opens[1].strftime("%H:%M")) == ("mon", "08:30")


def test_notices_show_only_between_their_times() -> None:
    config = RemoteConfig.model_validate(example_config())
    before = _policy(datetime(2026, 12, 24, 23, 59, tzinfo=CENTRE_TIME))
    during = _policy(datetime(2026, 12, 31, 12, 0, tzinfo=CENTRE_TIME))
    for policy in (before, during):
        policy.update(config)
    assert before.notices() == []
    (notice,) = during.notices()
    assert notice.text("zh_CN").startswith("元旦") and notice.text("en").startswith("Counters")


def test_disabled_services_disappear_and_order_is_kept(tmp_path: Path) -> None:
    config = {
        **example_config(),
        "services": [{"id": "deposits"}, {"id": "loan", "enabled": False}, {"id": "overview"}],
    }
    policy = _policy(datetime(2026, 11, 25, 10, 0, tzinfo=CENTRE_TIME))
    policy.update(RemoteConfig.model_validate(config))
    assert [offer.id for offer in policy.services()] == ["deposits", "overview"]


def test_the_out_of_service_screen_offers_the_configured_alternatives_nearest_first() -> None:
    policy = _policy(datetime(2026, 11, 27, 10, 0, tzinfo=CENTRE_TIME))
    assert policy.alternatives() == []  # without a configuration: the screen's own counter sentence
    policy.update(RemoteConfig.model_validate(example_config()))
    first, *rest = policy.alternatives()
    assert first.name("zh_CN") == "大厅另一台自助终端" and first.where("en").startswith("East side")
    assert [a.name("en") for a in rest] == ["The service counters", "The 12329 hotline"]


def test_more_than_four_alternatives_or_an_empty_name_is_refused() -> None:
    config = example_config()
    config["alternatives"] = [{"name_zh": f"终端{i}", "name_en": f"Kiosk {i}"} for i in range(5)]
    with pytest.raises(ValidationError, match="alternatives"):
        RemoteConfig.model_validate(config)
    config["alternatives"] = [{"name_zh": "", "name_en": "Kiosk"}]
    with pytest.raises(ValidationError, match="name_zh"):
        RemoteConfig.model_validate(config)
