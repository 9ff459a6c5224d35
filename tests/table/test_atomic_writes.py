"""A table file is written whole or not at all, and a path that cannot take it is named."""

from __future__ import annotations

import os

import pytest

import econ.table.files as files


def _writers(table, path):
    return {"docx": lambda: table.to_docx(path), "xlsx": lambda: table.to_xlsx(path),
            "md": lambda: table.write(path.with_suffix(""), formats=["md"])}


@pytest.mark.parametrize("kind", ["docx", "xlsx"])
def test_a_missing_folder_is_named_and_not_created(tmp_path, known, kind):
    target = tmp_path / "no such folder" / f"t.{kind}"
    with pytest.raises(FileNotFoundError, match=r"the folder .*no such folder does not exist"):
        _writers(known, target)[kind]()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("kind", ["docx", "xlsx", "md"])
def test_a_read_only_file_is_named_and_kept(tmp_path, known, kind):
    target = tmp_path / f"t.{kind}"
    target.write_bytes(b"the co-author's copy")
    target.chmod(0o444)
    with pytest.raises(PermissionError, match="read-only") as refused:
        _writers(known, target)[kind]()
    assert refused.value.filename == str(target)
    assert target.read_bytes() == b"the co-author's copy"
    assert [p.name for p in tmp_path.iterdir()] == [target.name]


@pytest.mark.parametrize("lock", [".~lock.t.docx#", "~$t.docx"])
def test_a_file_open_in_an_office_program_is_named(tmp_path, known, lock):
    (tmp_path / lock).write_text("locked", encoding="utf-8")
    with pytest.raises(PermissionError, match=r"open in another program \(lock file"):
        known.to_docx(tmp_path / "t.docx")
    assert sorted(p.name for p in tmp_path.iterdir()) == [lock]


@pytest.mark.skipif(os.geteuid() == 0, reason="the superuser may write any folder")
def test_an_unwritable_folder_is_named(tmp_path, known):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(PermissionError, match="is not writable"):
            known.to_xlsx(folder / "t.xlsx")
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o755)


def test_a_folder_in_the_way_is_named(tmp_path, known):
    (tmp_path / "t.docx").mkdir()
    with pytest.raises(IsADirectoryError, match="it is a folder"):
        known.to_docx(tmp_path / "t.docx")


@pytest.mark.parametrize("kind", ["docx", "xlsx", "md"])
@pytest.mark.parametrize("existing", [False, True])
def test_a_failure_mid_write_leaves_the_old_file_or_nothing(tmp_path, known, monkeypatch, kind,
                                                           existing):
    target = tmp_path / f"t.{kind}"
    if existing:
        target.write_bytes(b"previous run")

    def disk_full(descriptor):
        # The bytes are in the temporary file by now; the disk gives out before they are safe.
        assert os.fstat(descriptor).st_size > 0
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space left"):
        _writers(known, target)[kind]()
    assert [p.name for p in tmp_path.iterdir()] == ([target.name] if existing else [])
    if existing:
        assert target.read_bytes() == b"previous run"


def test_a_file_held_by_another_program_at_the_rename_is_named(tmp_path, known, monkeypatch):
    def held(source, target):
        raise PermissionError(13, "The process cannot access the file")

    monkeypatch.setattr(files.os, "replace", held)
    with pytest.raises(PermissionError, match="is it open in another program") as refused:
        known.to_docx(tmp_path / "t.docx")
    assert refused.value.filename == str(tmp_path / "t.docx")
    assert list(tmp_path.iterdir()) == []


def test_a_new_file_gets_the_usual_permissions(tmp_path, known):
    umask = os.umask(0o022)
    try:
        written = known.to_xlsx(tmp_path / "t.xlsx")
    finally:
        os.umask(umask)
    assert written.stat().st_mode & 0o777 == 0o644
