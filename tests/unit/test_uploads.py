"""Uploads: Form I-983 PDFs and problem screenshots are checked from their content, not their names."""

import io
from types import SimpleNamespace

import pikepdf
import pytest
from PIL import Image, PngImagePlugin
from sqlalchemy import select

from portal.models import Document, Event, ProblemReport
from portal.models.enums import ProblemStatus, Role
from portal.services import uploads
from portal.services.actors import Actor
from portal.services.errors import InvalidValue, NotAllowed
from portal.services.problems import create_problem_report, update_problem_report
from portal.services.uploads import UploadTooLarge, check_pdf, reencoded_image
from tests.support.files import FOUR_BYPASSES, JPEG, PNG, POLYGLOT, image, pdf, pdf_with_object_stream


def test_plain_pdf_passes():
    check_pdf(pdf())


@pytest.mark.parametrize(
    "data",
    [
        pdf(javascript="app.alert(1)"),
        pdf(javascript="app.alert(1)", compressed_js=True),
        pdf().replace(b"/Type /Catalog", b"/Type /Catalog /J#61vaScript 1 0 R"),
    ],
    ids=["plain", "in-a-compressed-stream", "hex-escaped-name"],
)
def test_pdf_with_javascript_is_refused(data):
    with pytest.raises(InvalidValue, match="JavaScript"):
        check_pdf(data)


@pytest.mark.parametrize("data", [PNG, b"<html><script>x</script></html>", b"MZ\x90\x00", b"%PDF-1.7 but truncated"])
def test_non_pdf_renamed_pdf_is_refused(data):
    with pytest.raises(InvalidValue, match="not a PDF"):
        check_pdf(data)


def test_image_type_comes_from_content():
    assert reencoded_image(PNG)[1] == "image/png" and reencoded_image(JPEG)[1] == "image/jpeg"
    with pytest.raises(InvalidValue, match="PNG or JPEG"):
        reencoded_image(image("GIF"))


def _file(data, name):
    return SimpleNamespace(filename=name, stream=io.BytesIO(data))


def test_problem_report_carries_name_sevis_id_and_screenshots(db_session, student, actor, tmp_path):
    report = create_problem_report(
        db_session,
        student,
        actor=actor,
        description="The page froze.",
        screenshots=[_file(PNG, "a.png"), _file(JPEG, "b.jpg")],
        upload_dir=str(tmp_path),
    )
    assert (report.reporter_name, report.sevis_id, report.status) == (
        student.full_name,
        student.sevis_id,
        ProblemStatus.NEW,
    )
    kinds = sorted(
        d.content_type for d in db_session.scalars(select(Document).where(Document.problem_report_id == report.id))
    )
    assert kinds == ["image/jpeg", "image/png"]


@pytest.mark.parametrize(
    ("files", "error", "message"),
    [
        ([_file(PNG, f"{n}.png") for n in range(4)], InvalidValue, "at most 3"),
        ([_file(b"%PDF-1.4", "x.png")], InvalidValue, "PNG or JPEG"),
        ([_file(PNG + b"0" * (5 * 1024 * 1024), "big.png")], UploadTooLarge, "5 MB"),
    ],
)
def test_bad_screenshots_refuse_the_whole_report(db_session, student, actor, tmp_path, files, error, message):
    with pytest.raises(error, match=message):
        create_problem_report(
            db_session, student, actor=actor, description="Broken", screenshots=files, upload_dir=str(tmp_path)
        )
    assert db_session.scalar(select(ProblemReport).where(ProblemReport.student_id == student.id)) is None


def test_problem_report_needs_a_description(db_session, student, actor, tmp_path):
    with pytest.raises(InvalidValue, match="Enter the description"):
        create_problem_report(db_session, student, actor=actor, description="  ", upload_dir=str(tmp_path))


def test_only_support_updates_a_problem_report(db_session, factory, student, actor, tmp_path):
    report = create_problem_report(db_session, student, actor=actor, description="Help", upload_dir=str(tmp_path))
    support_user = factory.user(role=Role.SUPPORT)
    with pytest.raises(NotAllowed):
        update_problem_report(db_session, report, actor=actor, status="closed")
    update_problem_report(
        db_session,
        report,
        actor=Actor.for_user(support_user),
        status="answered",
        assignee=support_user,
        note_to_student="Fixed on our side.",
    )
    assert report.status is ProblemStatus.ANSWERED and report.assigned_to_user_id == support_user.id
    assert db_session.scalar(select(Event).where(Event.event_type == "problem.updated")).after["status"] == "answered"
    with pytest.raises(InvalidValue):
        update_problem_report(db_session, report, actor=Actor.for_user(support_user), status="bogus")


# PDFs are judged by qpdf: every object, those in object streams too, every stream decoded with all its filters.


@pytest.mark.parametrize("data", FOUR_BYPASSES.values(), ids=FOUR_BYPASSES.keys())
def test_javascript_hidden_in_an_object_stream_is_refused_whatever_its_filters(data):
    with pikepdf.open(io.BytesIO(data)) as opened:  # the file is sound: a reader finds the action
        assert opened.Root.OpenAction.S == "/JavaScript"
    with pytest.raises(InvalidValue, match="JavaScript, an action that runs when the file opens"):
        check_pdf(data)


def _clean_pdf(**save) -> pikepdf.Pdf:
    document = pikepdf.new()
    document.add_blank_page(page_size=(612, 792))
    document.pages[0].Contents = document.make_stream(b"BT /F1 12 Tf 72 720 Td (Form I-983) Tj ET")
    return document


def _saved(document: pikepdf.Pdf, **save) -> bytes:
    out = io.BytesIO()
    document.save(out, **save)
    return out.getvalue()


def test_a_clean_pdf_with_its_objects_in_compressed_object_streams_passes():
    check_pdf(_saved(_clean_pdf(), object_stream_mode=pikepdf.ObjectStreamMode.generate))


def _link(document, action):
    page = document.pages[0]
    page.Annots = document.make_indirect(
        [
            document.make_indirect(
                pikepdf.Dictionary(
                    Type=pikepdf.Name.Annot,
                    Subtype=pikepdf.Name.Link,
                    Rect=[0, 0, 100, 100],
                    A=pikepdf.Dictionary(action),
                )
            )
        ]
    )


def _javascript_names_tree(document):
    script = document.make_indirect(pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS="app.alert(1)"))
    document.Root.Names = pikepdf.Dictionary(JavaScript=pikepdf.Dictionary(Names=["hello", script]))


def _open_action(document):
    document.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.GoTo, D=[document.pages[0].obj, pikepdf.Name.Fit])


def _page_action(document):
    document.pages[0].AA = pikepdf.Dictionary(O=pikepdf.Dictionary(S=pikepdf.Name.Named, N=pikepdf.Name.NextPage))


def _attached_file(document):
    document.attachments["notes.txt"] = pikepdf.AttachedFileSpec(document, b"hello")


ACTIVE_CONTENT = {
    "javascript-names-tree": (_javascript_names_tree, "JavaScript"),
    "open-action": (_open_action, "an action that runs when the file opens"),
    "page-action": (_page_action, "an action that runs when a page or field is used"),
    "launch": (
        lambda document: _link(document, {"/S": pikepdf.Name.Launch, "/F": "calc.exe"}),
        "an action that starts a program",
    ),
    "uri": (
        lambda document: _link(document, {"/S": pikepdf.Name.URI, "/URI": "https://evil.example/"}),
        "a link to a website",
    ),
    "embedded-file": (_attached_file, "an attached file"),
}


@pytest.mark.parametrize(("add", "named"), ACTIVE_CONTENT.values(), ids=ACTIVE_CONTENT.keys())
@pytest.mark.parametrize(
    "mode", [pikepdf.ObjectStreamMode.disable, pikepdf.ObjectStreamMode.generate], ids=["plain", "in-object-streams"]
)
def test_each_kind_of_active_content_is_refused_and_named(add, named, mode):
    document = _clean_pdf()
    add(document)
    with pytest.raises(InvalidValue, match="active content we do not accept") as refused:
        check_pdf(_saved(document, object_stream_mode=mode), field="ead_file")
    assert named in refused.value.message and refused.value.field == "ead_file"
    assert "Print it to a new PDF" in refused.value.message


def _pdf_with_streams(*sizes: int) -> bytes:
    document = _clean_pdf()
    for number, size in enumerate(sizes):
        document.Root[f"/Padding{number}"] = document.make_stream(b"\0" * size)  # saved Flate-compressed
    return _saved(document, compress_streams=True)


def test_a_decompression_bomb_is_refused_not_skipped():
    bomb = _pdf_with_streams(uploads.PDF_DECODED_MAX_BYTES + 1)
    assert len(bomb) < 200_000
    with pytest.raises(InvalidValue, match="far more data than a form needs"):
        check_pdf(bomb)


def test_streams_that_together_pass_the_decompression_budget_are_refused(monkeypatch):
    monkeypatch.setattr(uploads, "PDF_DECODED_MAX_BYTES", 1024 * 1024)
    check_pdf(_pdf_with_streams(600 * 1024))
    with pytest.raises(InvalidValue, match="far more data than a form needs"):
        check_pdf(_pdf_with_streams(600 * 1024, 600 * 1024))


@pytest.mark.parametrize(
    "encryption",
    [pikepdf.Encryption(user="", owner="secret"), pikepdf.Encryption(user="secret", owner="secret")],
    ids=["opens-without-a-password", "needs-a-password"],
)
def test_an_encrypted_pdf_is_refused_with_how_to_remove_the_protection(encryption):
    with pytest.raises(InvalidValue, match="protected with a password or encrypted"):
        check_pdf(_saved(_clean_pdf(), encryption=encryption))


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n",
        pdf_with_object_stream(lambda data: b"zz" + data, b"/ASCIIHexDecode"),
        pdf_with_object_stream(lambda data: data, b"/DCTDecode"),
    ],
    ids=["unparsable", "undecodable-stream", "objects-behind-an-image-filter"],
)
def test_a_damaged_pdf_is_refused_as_unreadable(data):
    with pytest.raises(InvalidValue, match="could not read this PDF"):
        check_pdf(data)


# Images are decoded and re-encoded with Pillow: only the pixels are stored.


def test_a_png_signature_followed_by_html_is_refused():
    with pytest.raises(InvalidValue, match="damaged or incomplete"):
        reencoded_image(POLYGLOT)


def test_html_appended_to_a_real_png_is_not_stored(db_session, student, actor, tmp_path):
    shot = PNG + b"<html><script>alert(document.cookie)</script></html>"
    report = create_problem_report(
        db_session,
        student,
        actor=actor,
        description="See the picture.",
        screenshots=[_file(shot, "shot.png")],
        upload_dir=str(tmp_path),
    )
    document = db_session.scalar(select(Document).where(Document.problem_report_id == report.id))
    stored = (tmp_path / document.stored_name).read_bytes()
    assert b"<html" not in stored and b"script" not in stored
    assert Image.open(io.BytesIO(stored)).getpixel((0, 0)) == (200, 30, 30)
    assert (document.content_type, document.size_bytes) == ("image/png", len(stored))


def test_metadata_is_stripped_from_photos_and_screenshots():
    exif = Image.Exif()
    exif[0x010E] = "secret description"  # ImageDescription
    exif[0x013B] = "secret artist"  # Artist
    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", "secret comment")
    for data in (image("JPEG", exif=exif.tobytes()), image("PNG", pnginfo=text)):
        assert b"secret" in data
        stored, _ = reencoded_image(data)
        assert b"secret" not in stored and not Image.open(io.BytesIO(stored)).getexif()


def test_a_photo_taken_sideways_is_stored_upright():
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 degrees to show
    stored, content_type = reencoded_image(image("JPEG", size=(40, 20), exif=exif.tobytes()))
    assert content_type == "image/jpeg" and Image.open(io.BytesIO(stored)).size == (20, 40)


@pytest.mark.parametrize("kind", ["PNG", "JPEG"])
def test_a_truncated_image_is_refused(kind):
    noisy = Image.effect_noise((200, 200), 80).convert("RGB")
    out = io.BytesIO()
    noisy.save(out, format=kind)
    with pytest.raises(InvalidValue, match="damaged or incomplete"):
        reencoded_image(out.getvalue()[: len(out.getvalue()) // 2])


def test_an_image_bomb_is_refused_before_it_is_decoded():
    out = io.BytesIO()
    Image.new("1", (10_000, 6_000)).save(out, format="PNG")  # 60 million pixels in a few kilobytes
    assert len(out.getvalue()) < 100_000
    with pytest.raises(InvalidValue, match="more than 50 million pixels"):
        reencoded_image(out.getvalue())


def test_a_polyglot_screenshot_refuses_the_whole_report_on_its_field(db_session, student, actor, tmp_path):
    with pytest.raises(InvalidValue, match="damaged or incomplete") as refused:
        create_problem_report(
            db_session,
            student,
            actor=actor,
            description="Broken",
            screenshots=[_file(PNG, "a.png"), _file(POLYGLOT, "b.png")],
            upload_dir=str(tmp_path),
        )
    assert refused.value.field == "screenshots" and list(tmp_path.iterdir()) == []
    assert db_session.scalar(select(ProblemReport).where(ProblemReport.student_id == student.id)) is None
