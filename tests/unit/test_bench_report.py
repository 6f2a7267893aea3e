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


def _run(students: int, rps: float, p99: float, *, budget: dict) -> dict:
    page = {
        "name": "student dashboard",
        "status": "measured",
        "requests_per_second": rps,
        "p99_ms": p99,
        "sql_per_request": 3,
        "within_budget": budget,
    }
    return {
        "dataset": {"students": students, "events": students * 25},
        "database": "postgresql",
        "floor": {"requests_per_second": 10_000.0},
        "budgets": {
            "student_ratio_to_floor_min": 0.25,
            "long_term_ratio_to_floor": 0.4,
            "student_p99_ms_max": 25.0,
            "dso_p99_ms_max": 150.0,
            "export_rows_per_second_min": 100_000,
        },
        "pages": [page],
        "command": "make bench",
        "generated_at": "2026-12-06T18:00:00+00:00",
        "git_commit": "abc1234",
    }


def test_the_million_student_pages_sit_beside_the_latest_with_each_verdict():
    small = _run(20_000, 900, 20.5, budget={"throughput": True, "p99": True, "sql_constant": True})
    large = _run(1_000_000, 700, 31.0, budget={"throughput": True, "p99": False, "sql_constant": True})
    rendered = report.side_by_side(small, large)
    row = next(line for line in rendered.splitlines() if line.startswith("| student dashboard"))
    assert [cell.strip() for cell in row.strip("|").split("|")] == [
        "student dashboard",
        "900",
        "20.50",
        "700",
        "31.00",
        "3",
        "ok / MISS p99",
    ]
    assert "Pages at 20,000 and at 1,000,000 students" in rendered
    assert "DSO pages p99 <= 150 ms" in rendered


def test_the_readme_shows_the_million_student_run_the_results_files_render():
    assert report.MILLION.exists(), 'run `make bench BENCH_ARGS="--scale 50 --output million"`'
    for readme in report.READMES:
        shown = report.section(readme.read_text(), (report.MILLION_START, report.MILLION_END))
        if shown is not None:
            assert shown == report.million_section()
    assert report.section((report.ROOT / "README.md").read_text(), (report.MILLION_START, report.MILLION_END))
