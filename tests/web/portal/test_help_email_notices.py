"""/help/email-notices lists every template, rendered from the same templates (rule 10)."""

from portal.mail import catalog
from portal.mail.catalog import CATALOG, render_sample


def test_help_page_is_public_and_lists_every_template_subject_and_when_sent(app, client):
    response = client.get("/help/email-notices")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    with app.test_request_context():
        for name in CATALOG:
            subject, text, _html = render_sample(name)
            assert f'id="{name}"' in page
            assert subject.replace("'", "&#39;") in page
            first_line = text.strip().splitlines()[0]
            assert first_line in page


def test_help_page_sample_changes_when_the_template_does(app, client, monkeypatch):
    original = catalog.CATALOG["access_ended"]
    monkeypatch.setitem(
        catalog.CATALOG,
        "access_ended",
        catalog.EmailTemplate(
            name="access_ended",
            subject="Edited subject for the test",
            when_sent=original.when_sent,
            sample=original.sample,
        ),
    )
    assert "Edited subject for the test" in client.get("/help/email-notices").get_data(as_text=True)


def test_help_page_never_shows_a_real_one_time_link(client):
    page = client.get("/help/email-notices").get_data(as_text=True)
    assert "SAMPLE-LINK" in page or "personal link" in page
