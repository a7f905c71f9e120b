"""Reading a CSV file (bulk/csvfile.py): FreePBX's quirks (options spread over unnamed cells), a
file that cannot be read refused whole, and what a file may cost: its cells and columns are
capped, and refusing a hostile one costs a small multiple of its size, in time and memory."""

import re
import tracemalloc

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from bulk.csvfile import CsvFileError, decode, neutralise, read_table, unneutralise
from bulk.exporting import export_file
from bulk.importing import check_file, import_file
from bulk.models import ImportJob
from bulk.tests.helpers import csv_text
from bulk.tests.test_migration import sample_text
from directory.devices.models import Device
from directory.users.extensions import extension_create
from directory.users.models import PbxUser
from web.testing.timing import growth


def test_a_header_wider_than_the_column_limit_is_refused(settings):
    settings.BULK_IMPORT_MAX_COLUMNS = 50
    text = "extension,name," + ",".join(f"x{n}" for n in range(60)) + "\n1000,Ana" + "," * 60 + "\n"
    with pytest.raises(CsvFileError, match=r"62 columns; at most 50 are read \(BULK_IMPORT_MAX_COLUMNS\)"):
        read_table(text)


def test_a_header_at_the_column_limit_is_read(settings):
    settings.BULK_IMPORT_MAX_COLUMNS = 50
    text = "extension,name," + ",".join(f"x{n}" for n in range(48)) + "\n1000,Ana" + "," * 48 + "\n"
    assert len(read_table(text).header) == 50


def test_a_cell_longer_than_the_cell_limit_is_refused_naming_its_line_and_column(settings):
    settings.BULK_IMPORT_MAX_CELL = 100
    text = "extension,name,outboundcid\n1000,Ana,\n1001,Ben," + "9" * 101 + "\n"
    with pytest.raises(CsvFileError) as refused:
        list(read_table(text).rows)
    assert str(refused.value) == (
        "Line 3, column outboundcid: the cell holds 101 characters; at most 100 are read "
        "(BULK_IMPORT_MAX_CELL)."
    )


@pytest.mark.django_db
def test_a_long_cell_in_the_header_is_refused_too(settings):
    settings.BULK_IMPORT_MAX_CELL = 100
    with pytest.raises(CsvFileError, match="Line 1: a column name of 101 characters"):
        read_table("extension,name," + "x" * 101 + "\n")


@pytest.mark.django_db
@pytest.mark.slow
def test_a_file_of_100000_columns_is_refused_on_upload_for_a_small_multiple_of_its_size(
    administrator_client,
):
    """The issue's file: 19 MB in 100,000 columns raised the web process's memory by 857 MB."""
    names = ",".join(f"column{n:06d}" + "x" * 40 for n in range(100_000 - 2))
    cells = ",".join("y" * 140 for _ in range(100_000 - 2))
    data = f"extension,name,{names}\n1000,Ana,{cells}\n".encode()
    upload = SimpleUploadedFile("wide.csv", data, "text/csv")
    tracemalloc.start()
    try:
        response = administrator_client.post("/bulk/", {"file": upload, "kind": "extensions"})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 200 and "BULK_IMPORT_MAX_COLUMNS" in response.content.decode()
    assert not ImportJob.objects.exists()
    # About six copies of the file: the test client's request body (twice), the upload as
    # received, its bytes and its text. Parsing the 100,000 columns took seventeen.
    assert peak < 8 * len(data), f"refusing a {len(data) / 1e6:.0f} MB file took {peak / 1e6:.0f} MB"


@pytest.mark.slow
@pytest.mark.django_db
def test_checking_a_long_caller_id_cell_takes_time_in_proportion_to_it(settings):
    """The issue's file: one row whose outboundcid is a name of spaces and no number
    (80 KB took 13.6 s). Even with the cell limit lifted, the check grows linearly."""
    settings.BULK_IMPORT_MAX_CELL = 1_000_000

    def check(text: str) -> None:
        report = check_file("extensions", text)
        assert report.counts["error"] == 1

    def make(size: int) -> str:
        return "extension,name,outboundcid\n1000,Ana,a" + " " * size + "x\n"

    ratio = growth(check, make, 2_000, 16_000)
    assert ratio < 24, f"8x the cell took {ratio:.0f}x the time"


@pytest.mark.parametrize("value", ["'=1+1", "'", "''", "'abc", "''=x", "=1", "-1", "abc", ""])
def test_a_cell_comes_back_from_an_export_as_it_was(value):
    """A cell starting with ' is escaped too, or `'=1+1` came back as `=1+1`."""
    assert unneutralise(neutralise(value)) == value


@pytest.mark.django_db
def test_a_name_starting_with_a_quote_survives_export_and_import(committed):
    committed(extension_create, extension="1000", name="'=1+1", tech="pjsip")
    exported = "".join(export_file(kind="extensions", with_secrets=True))
    assert "''=1+1" in exported
    PbxUser.objects.all().delete()
    Device.objects.all().delete()
    committed(import_file, "extensions", exported)
    assert PbxUser.objects.get(pk="1000").name == "'=1+1"


@pytest.mark.django_db
def test_freepbx_voicemail_options_spread_over_unnamed_cells_are_read_whole(committed):
    """FreePBX exports `attach=no,saycid=no,envelope=no,delete=no` unquoted: four cells, the last
    three under the header's unnamed columns. They are one mailbox's options, not 3 unnamed columns."""
    text = sample_text()  # its 3-digit mailbox PINs made 4: shorter ones are refused
    report = check_file("extensions", text, weak="keep")
    assert report.ok, report.problems
    assert not [c for c in report.ignored if "unnamed" in c]
    committed(import_file, "extensions", text, weak="keep")
    assert PbxUser.objects.get(pk="146").vm_options == "attach=no|saycid=no|envelope=no|delete=no"
    assert PbxUser.objects.get(pk="818").vm_options == "attach=no|saycid=no|envelope=no|delete=no"


@pytest.mark.django_db
def test_options_running_past_the_unnamed_columns_stay_whole_and_other_cells_keep_their_place():
    header = "extension,name,voicemail_enable,voicemail_vmpwd,voicemail_options,,"
    row = "2001,Ana,yes,1234,attach=yes,saycid=no,envelope=no,delete=no"
    table = read_table(csv_text(row, header=header))
    (read,) = table.rows
    assert read.cells["voicemail_options"] == "attach=yes,saycid=no,envelope=no,delete=no"
    assert table.unnamed == 0
    middle = read_table("extension,voicemail_options,,,name\n2001,attach=yes,delete=no,,Ana\n")
    (read,) = middle.rows
    assert (read.cells["voicemail_options"], read.cells["name"]) == ("attach=yes,delete=no", "Ana")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"   \n\n", "The file is empty."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a CSV file"),
        (b"extension,name\n1000,Caf\xe9\n", "not UTF-8: byte 24 (line 2)"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_whole(data, message):
    with pytest.raises(CsvFileError, match=re.escape(message)):
        read_table(decode(data))


@pytest.mark.django_db
@override_settings(BULK_IMPORT_MAX_BYTES=100)
def test_a_file_over_the_limit_is_refused():
    with pytest.raises(CsvFileError, match="the limit is"):
        decode(b"extension,name\n" + b"1000,A\n" * 30)


@pytest.mark.django_db
def test_a_bom_is_accepted():
    report = check_file("extensions", decode("\ufeffextension,name\n1000,A\n".encode()))
    assert report.counts["create"] == 1
