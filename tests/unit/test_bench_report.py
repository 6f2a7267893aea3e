"""The benchmark figures in README.md and bench/README.md are what bench/results/latest.json holds (bench/report.py)."""

import json

import pytest

from bench import report

LATEST = json.loads(report.LATEST.read_text())


@pytest.mark.parametrize("readme", report.READMES, ids=lambda path: path.relative_to(report.ROOT).as_posix())
def test_each_readme_shows_the_table_the_results_file_renders(readme):
    assert report.section(readme.read_text()) == report.markdown(LATEST), (
        f"{readme.relative_to(report.ROOT)} differs from bench/results/latest.json: run `python -m bench.report`"
    )


def test_latest_md_is_the_same_rendering():
    assert (report.RESULTS / "latest.md").read_text() == report.markdown(LATEST)


def test_a_hand_edited_figure_or_a_missing_section_is_caught(tmp_path):
    rendered = report.markdown(LATEST)
    edited, missing, fresh = tmp_path / "edited.md", tmp_path / "missing.md", tmp_path / "fresh.md"
    fresh.write_text(report.with_section(f"# Title\n\n{report.START}\nold figures\n{report.END}\n\nAfter.\n", rendered))
    floor = f"{LATEST['floor']['requests_per_second']:>8.0f}"
    edited.write_text(fresh.read_text().replace(floor, f"{'99999':>8}", 1))
    missing.write_text("# Title\n\nNo markers here.\n")

    assert report.stale_readmes(LATEST, [fresh, edited, missing]) == [edited, missing]
    assert fresh.read_text().startswith("# Title\n\n") and fresh.read_text().endswith(f"{report.END}\n\nAfter.\n")
    assert "old figures" not in fresh.read_text()


@pytest.mark.parametrize("name", ["latest", "million-row-change-list", "change-list-exports", "timeline", "storm"])
def test_every_results_md_is_the_one_writer_rendering_its_json(name):
    """`make bench`, bench.exports and bench.timeline all write their .md through bench.report.markdown."""
    results = json.loads((report.RESULTS / f"{name}.json").read_text())
    assert (report.RESULTS / f"{name}.md").read_text() == report.markdown(results)
