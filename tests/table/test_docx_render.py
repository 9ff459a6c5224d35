"""Render check: LibreOffice lays the Word tables out as pages (skipped where it is absent).

Install with ``apt-get install libreoffice-writer-nogui poppler-utils``. The pages are not
compared with pictures (fonts differ between machines); that they render at all, on one page,
catches a document Word or LibreOffice would refuse.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

OFFICE = shutil.which("soffice") or shutil.which("libreoffice")
PDFTOPPM = shutil.which("pdftoppm")

pytestmark = pytest.mark.skipif(OFFICE is None or PDFTOPPM is None,
                                reason="needs LibreOffice (soffice) and pdftoppm")


@pytest.mark.parametrize("which", ["english", "chinese", "wide"])
def test_an_etable_renders_to_one_page(tmp_path, request, which):
    table = request.getfixturevalue(which)
    source = table.to_docx(tmp_path / f"{which}.docx")
    # A profile of its own: a LibreOffice already running for the user would take the job.
    profile = (tmp_path / "profile").as_uri()
    subprocess.run([str(OFFICE), f"-env:UserInstallation={profile}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(source)],
                   check=True, capture_output=True, timeout=180)
    pdf = tmp_path / f"{which}.pdf"
    subprocess.run([str(PDFTOPPM), "-r", "50", "-png", str(pdf), str(tmp_path / which)],
                   check=True, capture_output=True, timeout=60)
    pages = sorted(tmp_path.glob(f"{which}*.png"))
    assert len(pages) == 1
    assert pages[0].read_bytes().startswith(b"\x89PNG") and pages[0].stat().st_size > 2000
