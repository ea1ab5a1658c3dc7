"""The real espeak-ng renders prompts to WAV files: a sound of plausible length, cached by engine, voice,
speed and text; the Mandarin voice speaks Mandarin; a missing engine is one clear error."""

import re
import subprocess
import sys
import time
import wave
from pathlib import Path

import pytest

from kiosk.voice import engine as engine_module
from kiosk.voice.engine import EngineMissing, EspeakEngine, prerender, prerender_texts
from kiosk.voice.prompts import EVENT_PROMPTS, PERSONAL_PROMPTS, SCREEN_PROMPTS, render

CJK = re.compile(r"[\u4e00-\u9fff]")


def _wav(path: Path) -> tuple[int, int, int, float]:
    head = path.read_bytes()[:12]
    assert head[:4] == b"RIFF" and head[8:12] == b"WAVE", f"{path.name} is not a WAV file"
    with wave.open(str(path), "rb") as w:
        return w.getframerate(), w.getnchannels(), w.getsampwidth(), w.getnframes() / w.getframerate()


@pytest.mark.parametrize(
    ("locale", "key"),
    [("zh_CN", "attract"), ("zh_CN", "password"), ("en", "attract"), ("en", "withdrawal_confirm")],
)
def test_prompts_render_to_plausible_speech(engine: EspeakEngine, locale: str, key: str) -> None:
    text = render(SCREEN_PROMPTS[key], locale)
    path = engine.render(text, locale)
    rate, channels, width, seconds = _wav(path)
    assert (rate, channels, width) == (22050, 1, 2)
    assert 0.5 < seconds < 15
    if locale == "zh_CN":
        syllables = len(CJK.findall(text))
        assert seconds > syllables * 0.1, f"{syllables} characters in {seconds:.2f} s"
        assert seconds < syllables * 0.6
    else:
        words = len(text.split())
        assert words * 0.15 < seconds < words * 1.0, f"{words} words in {seconds:.2f} s"


def test_a_longer_prompt_takes_longer(engine: EspeakEngine) -> None:
    short = _wav(engine.render("请取走凭条。", "zh_CN"))[3]
    long = _wav(engine.render(render(SCREEN_PROMPTS["attract"], "zh_CN"), "zh_CN"))[3]
    assert long > short * 2


def test_slow_speech_for_elderly_mode_is_slower(engine: EspeakEngine) -> None:
    text = render(EVENT_PROMPTS["take_id_card"], "zh_CN")
    normal = _wav(engine.render(text, "zh_CN"))[3]
    slow = _wav(engine.render(text, "zh_CN", slow=True))[3]
    assert slow > normal * 1.1


def test_second_render_is_a_cache_hit(tmp_path: Path) -> None:
    engine = EspeakEngine(tmp_path)
    text = render(EVENT_PROMPTS["help_called"], "zh_CN")
    first = engine.render(text, "zh_CN")
    mtime = first.stat().st_mtime_ns
    assert engine.renders == 1
    time.sleep(0.01)
    again = EspeakEngine(tmp_path).render(text, "zh_CN")  # a new engine (the next start) finds it too
    second = engine.render(text, "zh_CN")
    assert again == second == first and first.stat().st_mtime_ns == mtime and engine.renders == 1
    # Another voice, speed or text is another file; no temporary files stay behind.
    assert engine.render(text, "zh_CN", slow=True) != first
    assert engine.render(render(EVENT_PROMPTS["help_called"], "en"), "en") != first
    assert engine.renders == 3
    assert sorted(p.name.startswith(".") for p in tmp_path.iterdir()) == [False] * 3


def test_the_cache_key_names_the_engine_version(tmp_path: Path) -> None:
    engine = EspeakEngine(tmp_path)
    before = engine.path_for("请取走凭条。", "zh_CN")
    assert "1.5" in engine.version
    engine._version = "eSpeak NG text-to-speech: 9.99"
    assert engine.path_for("请取走凭条。", "zh_CN") != before


def test_the_mandarin_voice_speaks_mandarin_not_pinyin_read_as_english(engine: EspeakEngine) -> None:
    # espeak-ng 1.51's "cmn" voice reads its dictionary's pinyin as English ("(en)kI55NTr'i:55" for 请);
    # "cmn-latn-pinyin" gives Mandarin syllables with tone numbers. Every fixed Mandarin prompt is checked.
    texts = [render(p, "zh_CN") for p in (*SCREEN_PROMPTS.values(), *EVENT_PROMPTS.values()) if not p.fields]
    texts += [render(EVENT_PROMPTS["password_digits"], "zh_CN", count=3)]
    texts += [render(PERSONAL_PROMPTS["balance"], "zh_CN", balance="¥12,345.60")]
    phonemes = engine.phonemes("\n".join(texts), "zh_CN")
    assert "(en)" not in phonemes, "the Mandarin voice switched to English"
    assert len(re.findall(r"[1-5]{2}", phonemes)) >= sum(len(CJK.findall(t)) for t in texts) * 0.9
    broken = EspeakEngine(engine.cache_dir, voices={"zh_CN": "cmn", "en": "en"})
    assert "(en)" in broken.phonemes("请取走凭条。", "zh_CN"), "the check above would not catch the bug"


def test_a_missing_engine_is_one_clear_error(tmp_path: Path) -> None:
    engine = EspeakEngine(tmp_path, executable="espeak-ng-not-installed")
    with pytest.raises(EngineMissing, match="apt-get install espeak-ng"):
        engine.render("请取走凭条。", "zh_CN")


def test_prerender_covers_every_fixed_prompt_and_nothing_personal() -> None:
    texts = prerender_texts()
    for locale in ("zh_CN", "en"):
        said = {t for loc, t in texts if loc == locale}
        for prompt in SCREEN_PROMPTS.values():
            assert render(prompt, locale) in said
        assert render(EVENT_PROMPTS["password_digits"], locale, count=6) in said
        for prompt in PERSONAL_PROMPTS.values():
            head = prompt.text(locale).split("{")[0]
            assert not any(t.startswith(head) for t in said), prompt.key


def test_prerender_renders_into_the_directory_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    few = [("zh_CN", "请取走凭条。"), ("en", "Please take your receipt."), ("zh_CN", "请取走凭条。")]
    monkeypatch.setattr(engine_module, "prerender_texts", lambda: few)
    report = prerender(tmp_path)
    assert report.files == 4 and report.rendered == 4 and report.total_bytes > 4 * 20_000
    assert prerender(tmp_path).rendered == 0


def test_the_prerender_command_fills_the_kiosks_voice_cache(tmp_path: Path) -> None:
    settings = tmp_path / "kiosk.toml"
    demo = (Path(__file__).resolve().parents[2] / "config" / "demo.toml").read_text(encoding="utf-8")
    settings.write_text(
        re.sub(r"(?m)^data_dir = .*$", f'data_dir = "{tmp_path / "data"}"', demo), encoding="utf-8"
    )
    result = subprocess.run(
        [sys.executable, "-m", "kiosk", "voice", "prerender", "--config", str(settings)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    files = list((tmp_path / "data" / "voice").glob("*.wav"))
    assert len(files) > 100 and f"{len(files)} prompt files in {tmp_path / 'data' / 'voice'}" in result.stdout
