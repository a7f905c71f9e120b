"""Writing the files: atomic, only when changed, and never older than the database."""

import io
import os
import threading

import pytest
from django.core.management import call_command
from django.db import OperationalError, transaction

from asterisk import files, outbox, tasks
from asterisk.files import files_for_techs, render_files, write_files
from asterisk.models import SyncChange, SyncStatus
from asterisk.render.conf import parse_conf
from asterisk.render.generate import FILE_RELOAD
from directory.users.extensions import extension_create


@pytest.mark.django_db
def test_writeconf_writes_every_file_then_nothing_when_unchanged(conf_dir):
    from django.core.management import call_command

    call_command("writeconf")
    names = sorted(p.name for p in conf_dir.glob("*.conf"))
    assert names == sorted(
        [
            "chan_dahdi_additional.conf",
            "extensions_additional.conf",
            "iax_additional.conf",
            "iax_registrations.conf",
            "pjsip.aor.conf",
            "pjsip.aor_custom.conf",
            "pjsip.auth.conf",
            "pjsip.auth_custom.conf",
            "pjsip.endpoint.conf",
            "pjsip.endpoint_custom.conf",
            "pjsip.identify.conf",
            "pjsip.identify_custom.conf",
            "pjsip.registration.conf",
            "pjsip.registration_custom.conf",
            "pjsip.transports.conf",
            "pjsip.transports_custom.conf",
            "sip_additional.conf",
            "sip_general_additional.conf",
            "sip_registrations.conf",
            "voicemail_additional.conf",
        ]
    )
    before = {p.name: p.stat().st_mtime_ns for p in conf_dir.glob("*.conf")}
    assert write_files() == []
    assert {p.name: p.stat().st_mtime_ns for p in conf_dir.glob("*.conf")} == before


@pytest.mark.django_db
def test_a_save_rewrites_only_the_files_of_its_technology(committed, conf_dir):
    write_files()
    sip_mtime = (conf_dir / "sip_additional.conf").stat().st_mtime_ns
    committed(extension_create, extension="1000", name="A", tech="pjsip")
    assert (conf_dir / "sip_additional.conf").stat().st_mtime_ns == sip_mtime
    assert parse_conf((conf_dir / "pjsip.endpoint.conf").read_text()).section_names() == ["1000"]


@pytest.mark.django_db
def test_the_administrators_custom_include_files_are_never_overwritten(conf_dir):
    conf_dir.mkdir(parents=True)
    (conf_dir / "pjsip.endpoint_custom.conf").write_text("[mine]\ntype=endpoint\n")
    write_files()
    assert (conf_dir / "pjsip.endpoint_custom.conf").read_text() == "[mine]\ntype=endpoint\n"


@pytest.mark.django_db
def test_an_interrupted_write_leaves_the_previous_file_whole(committed, conf_dir, monkeypatch):
    committed(extension_create, extension="1000", name="A", tech="sip")
    before = (conf_dir / "sip_additional.conf").read_text()

    def power_cut(fd):
        raise OSError("disk full")

    monkeypatch.setattr(files.os, "fsync", power_cut)
    committed(extension_create, extension="1001", name="B", tech="sip")  # the save itself succeeds
    assert "Could not write the config files: disk full" in SyncStatus.get().last_error
    assert (conf_dir / "sip_additional.conf").read_text() == before
    assert [p.name for p in conf_dir.iterdir() if p.name.endswith(".tmp")] == []
    monkeypatch.undo()
    # The database kept the save; the next write catches the file up.
    write_files()
    assert parse_conf((conf_dir / "sip_additional.conf").read_text()).section_names() == ["1000", "1001"]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_concurrent_saves_end_with_files_matching_the_database(conf_dir):
    from django.db import connections

    errors = []

    def save(start):
        try:
            for n in range(start, start + 15):
                extension_create(extension=str(n), name=f"Person {n}", tech="pjsip" if n % 2 else "sip")
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=save, args=(1000 + 100 * i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    expected = render_files(files_for_techs({"sip", "pjsip"}))
    for name, text in expected.items():
        assert (conf_dir / name).read_text() == text, name
    numbers = [1000 + 100 * i + k for i in range(4) for k in range(15)]
    assert parse_conf(expected["pjsip.endpoint.conf"]).section_names() == [str(n) for n in numbers if n % 2]
    assert parse_conf(expected["sip_additional.conf"]).section_names() == [
        str(n) for n in numbers if not n % 2
    ]


def test_atomic_write_replaces_in_one_step(tmp_path):
    target = tmp_path / "x.conf"
    target.write_text("old\n")
    inode = target.stat().st_ino
    files.atomic_write(target, "new\n")
    assert target.read_text() == "new\n"
    assert target.stat().st_ino != inode, "a rename, not an in-place rewrite"
    assert oct(target.stat().st_mode & 0o777) == oct(0o644)
    assert os.listdir(tmp_path) == ["x.conf"]


# --- Whatever fails, a file that changed has its reload queued ---------------------


def _pending(kind: str) -> set[str]:
    return set(SyncChange.objects.filter(kind=kind).values_list("ref", flat=True))


def _saved_not_written(monkeypatch) -> None:
    """A save committed and its sync not run yet (a worker will): the outbox names its files."""
    monkeypatch.setattr(tasks, "request_sync", lambda **kwargs: False)
    monkeypatch.setattr(outbox, "request_sync", lambda **kwargs: False)
    extension_create(extension="1000", name="Ana", tech="pjsip")
    monkeypatch.undo()
    assert _pending("file") and not _pending("reload")


@pytest.mark.django_db
def test_a_file_replaced_before_a_later_one_failed_still_gets_its_reload(conf_dir, monkeypatch):
    _saved_not_written(monkeypatch)
    real, replaced = files.atomic_write, []

    def full_disk_on_the_second(path, text, **kwargs):
        if replaced:
            raise OSError(28, "No space left on device")
        replaced.append(path.name)
        return real(path, text, **kwargs)

    monkeypatch.setattr(files, "atomic_write", full_disk_on_the_second)
    assert files.write_pending_files() is None
    assert FILE_RELOAD[replaced[0]] in _pending("reload")
    assert _pending("file"), "kept for the next round"


@pytest.mark.django_db
def test_files_replaced_whose_rows_could_not_be_removed_still_get_their_reloads(conf_dir, monkeypatch):
    _saved_not_written(monkeypatch)
    real_delete = files.SyncChange.objects.filter

    def locked_database(*args, **kwargs):
        if "pk__in" in kwargs:
            raise OperationalError("database is locked")
        return real_delete(*args, **kwargs)

    monkeypatch.setattr(files.SyncChange.objects, "filter", locked_database)
    assert files.write_pending_files() is None
    monkeypatch.undo()
    assert "1000" in parse_conf((conf_dir / "pjsip.endpoint.conf").read_text()).section_names()
    assert files.write_pending_files() == [], "the next round finds the text in place"
    assert {"res_pjsip.so", "dialplan"} <= _pending("reload")
    assert not _pending("file")


@pytest.mark.django_db
def test_a_temp_file_left_by_a_killed_writer_is_swept_and_no_one_elses(conf_dir):
    conf_dir.mkdir(parents=True, exist_ok=True)
    stale = conf_dir / ".pjsip.endpoint.conf.abc123.tmp"
    stale.write_text("half a file")
    theirs = conf_dir / ".manager.conf.x1y2.tmp"  # another tool's, mid-write
    theirs.write_text("[general]")
    files.write_files()
    assert not stale.exists()
    assert theirs.exists()


@pytest.mark.django_db
def test_a_change_committed_while_files_are_written_keeps_its_row(committed, monkeypatch, conf_dir):
    committed(extension_create, extension="1000", name="Ana", tech="sip")
    real = files._write_locked

    def write_then_another_commit(names, before_replacing):
        written = real(names, before_replacing)
        # Another process commits a change after this writer read the database.
        with transaction.atomic():
            extension_create(extension="1001", name="Ben", tech="sip")
        return written

    extension_create(extension="1002", name="Cy", tech="sip")
    monkeypatch.setattr(files, "_write_locked", write_then_another_commit)
    files.write_pending_files()
    assert "sip_additional.conf" in _pending("file"), "1001's row outlives the write that missed it"
    monkeypatch.setattr(files, "_write_locked", real)
    files.write_pending_files()
    assert "[1001]" in (conf_dir / "sip_additional.conf").read_text().splitlines()


@pytest.mark.django_db
def test_writeconf_settles_what_the_outbox_held_and_queues_the_reloads(conf_dir):
    extension_create(extension="1000", name="Ana", tech="sip")  # committed, never written
    call_command("writeconf", stdout=io.StringIO())
    assert "[1000]" in (conf_dir / "sip_additional.conf").read_text().splitlines()
    assert not _pending("file")
    reloads = set(SyncChange.objects.filter(kind="reload").values_list("ref", flat=True))
    assert {"chan_sip.so", "dialplan"} <= reloads
