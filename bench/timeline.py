"""The CPU cost of one student's timeline (issue 11: at most 1 ms), measured with time.process_time.

Generates a few thousand students' facts (no database: the computation is pure), then times timeline_for on one
day per student and marks_for per student, best of three rounds. `make bench` runs it and adds the figure to
bench/results/latest.*; on its own:

    python -m bench.timeline                       # prints "one student's timeline: X ms CPU (N students)"
    python -m bench.timeline --output timeline     # and writes bench/results/timeline.json and .md
"""

from __future__ import annotations

import argparse
import platform
import random
import subprocess
import sys
import time
from datetime import date, datetime, timedelta, timezone

from bench.report import timeline_line, write_results
from portal.models.enums import EmployerReview, EmploymentTime, OptKind, OptStatus, ProgramStatus
from portal.services.timeline import JobFacts, OptFacts, ProgramFacts, StudentFacts, marks_for, timeline_for

BUDGET_MS = 1.0
STUDENTS = 5_000
FIRST_DAY = date(2022, 1, 1)


def _day(rng: random.Random, low: int, high: int) -> date:
    return FIRST_DAY + timedelta(days=rng.randint(low, high))


def generate(count: int, seed: int = 11) -> list[StudentFacts]:
    """Students as the portal holds them: a post-completion OPT (most approved, some on STEM after it), a few
    employers each (some returned STEM ones), now and then an early end or a second program record."""
    rng = random.Random(seed)
    students = []
    for student_id in range(1, count + 1):
        programs, jobs, opt_id = [], [], student_id * 10
        for index in range(2 if rng.random() < 0.1 else 1):
            start = _day(rng, index * 500, index * 500 + 400)
            status = rng.choices([OptStatus.APPROVED, OptStatus.PENDING, OptStatus.DENIED], [8, 1, 1])[0]
            ead_start = start + timedelta(days=rng.choice([0, 0, 0, 5, 40]))
            post = OptFacts(
                id=opt_id,
                kind=OptKind.POST_COMPLETION,
                status=status,
                requested_start=start,
                requested_end=start + timedelta(days=364),
                actual_start=ead_start,
                actual_end=ead_start + timedelta(days=364),
                requested_on=start - timedelta(days=90),
                decided_on=start - timedelta(days=rng.randint(-60, 30)),
            )
            opts = [post]
            if status is OptStatus.APPROVED and rng.random() < 0.4:
                stem_start = post.end + timedelta(days=rng.choice([1, 1, 30, 90]))
                stem_status = rng.choices([OptStatus.APPROVED, OptStatus.PENDING, OptStatus.DENIED], [7, 2, 1])[0]
                opts.append(
                    OptFacts(
                        id=opt_id + 1,
                        kind=OptKind.STEM,
                        status=stem_status,
                        requested_start=stem_start,
                        requested_end=stem_start + timedelta(days=729),
                        actual_start=stem_start,
                        actual_end=stem_start + timedelta(days=729),
                        requested_on=post.end - timedelta(days=rng.randint(-10, 80)),
                        decided_on=stem_start - timedelta(days=rng.randint(-30, 20)),
                    )
                )
            for opt in opts:
                for _ in range(rng.randint(0, 3)):
                    job_start = opt.start + timedelta(days=rng.randint(0, 200))
                    ended = rng.random() < 0.5
                    review = (
                        rng.choice(
                            [
                                EmployerReview.ACCEPTED,
                                EmployerReview.ACCEPTED,
                                EmployerReview.WAITING,
                                EmployerReview.RETURNED,
                            ]
                        )
                        if opt.kind is OptKind.STEM
                        else EmployerReview.NOT_NEEDED
                    )
                    jobs.append(
                        JobFacts(
                            id=len(jobs) + 1,
                            opt_id=opt.id,
                            name="Employer",
                            start_date=job_start,
                            end_date=job_start + timedelta(days=rng.randint(30, 300)) if ended else None,
                            review=review,
                            employment_time=rng.choice(list(EmploymentTime)),
                        )
                    )
            last = index == 0 and rng.random() >= 0.1
            program_status = (
                ProgramStatus.ACTIVE
                if last or index
                else rng.choice([ProgramStatus.COMPLETED, ProgramStatus.TRANSFERRED])
            )
            programs.append(
                ProgramFacts(
                    id=opt_id,
                    status=program_status,
                    start_date=start - timedelta(days=700),
                    end_date=start - timedelta(days=30),
                    opts=tuple(opts),
                    completed_on=None if program_status is ProgramStatus.ACTIVE else start + timedelta(days=200),
                )
            )
            opt_id += 5
        students.append(StudentFacts(student_id=student_id, programs=tuple(programs), jobs=tuple(jobs)))
    return students


def _cpu_ms_each(work, items, rounds: int) -> float:
    best = None
    for _ in range(rounds):
        started = time.process_time()
        for item in items:
            work(item)
        elapsed = time.process_time() - started
        best = elapsed if best is None else min(best, elapsed)
    return 1000 * best / len(items)


def measure(students: int = STUDENTS, rounds: int = 3) -> dict:
    """CPU ms per student for timeline_for (on a random day of 2022-2027) and marks_for."""
    facts = generate(students)
    rng = random.Random(41)
    days = [_day(rng, 0, 2000) for _ in facts]
    pairs = list(zip(facts, days, strict=True))
    timeline_ms = _cpu_ms_each(lambda pair: timeline_for(*pair), pairs, rounds)
    marks_ms = _cpu_ms_each(marks_for, facts, rounds)
    return {
        "students": students,
        "timeline_ms_cpu": round(timeline_ms, 4),
        "marks_ms_cpu": round(marks_ms, 4),
        "budget_ms": BUDGET_MS,
        "within_budget": timeline_ms <= BUDGET_MS,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=STUDENTS)
    parser.add_argument("--output", help="also write bench/results/<name>.json and .md")
    args = parser.parse_args(argv)
    result = measure(args.students)
    print(timeline_line(result))
    if args.output:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
        report = {
            "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "command": f"python -m bench.timeline {' '.join(argv if argv is not None else sys.argv[1:])}".strip(),
            "git_commit": commit,
            "python": platform.python_version(),
            "timeline": result,
        }
        write_results(report, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
