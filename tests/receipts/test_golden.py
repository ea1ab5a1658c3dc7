"""Golden tests: each template -> ESC/POS bytes -> the virtual printer -> the same text, on 58 and 80 mm.

The 58 mm text is also compared with a checked-in golden file, so an unintended layout change shows up
in review as a diff; regenerate with ``UPDATE_GOLDEN=1``. Every template is rendered to PNG under
artifacts/receipts/ for a person to look at.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from kiosk.devices.printer.chinese import Codec
from kiosk.devices.printer.encoder import EncoderProfile, encode_items
from kiosk.devices.printer.layout import PAPER_GEOMETRY, lay_out, text_of
from kiosk.devices.printer.virtual import VirtualPrinter
from kiosk.receipts import samples

GOLDEN = Path(__file__).parent / "golden"
ARTIFACTS = Path(__file__).parents[2] / "artifacts" / "receipts"


@pytest.mark.parametrize("codec", list(Codec))
@pytest.mark.parametrize("paper_mm", sorted(PAPER_GEOMETRY))
@pytest.mark.parametrize("name", sorted(samples.SAMPLES))
def test_the_virtual_printer_reads_back_what_the_template_laid_out(
    name: str, paper_mm: int, codec: Codec, tmp_path: Path
) -> None:
    columns, dots = PAPER_GEOMETRY[paper_mm]
    items = lay_out(samples.SAMPLES[name](columns), columns)
    job = encode_items(items, EncoderProfile(dots=dots, codec=codec))
    printer = VirtualPrinter(out_dir=tmp_path, paper_mm=paper_mm)
    printer.feed(job.data)
    (printed,) = printer.jobs
    assert printed.complete and printed.invalid == ()
    assert printed.lines() == [line for line in text_of(items, columns, codec) if line.strip()]
    if name == "test_slip":  # 䶮 is the one character GBK lacks: replaced and counted, or printed
        assert job.replaced == (1 if codec is Codec.GBK else 0)
    else:
        assert job.replaced == 0
    if codec is Codec.GBK:
        assert printed.png is not None
        target = ARTIFACTS / str(paper_mm) / f"{name}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(printed.png, target)
        if paper_mm == 58:
            _compare_golden(name, printed.text)


def _compare_golden(name: str, text: str) -> None:
    golden = GOLDEN / f"{name}.58mm.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8"), f"{golden.name} differs; UPDATE_GOLDEN=1 if intended"
