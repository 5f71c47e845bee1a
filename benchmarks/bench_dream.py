"""The offline consolidation pass on a generated store of 500 memories.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_dream.py [--seed 7] [--repeat 3]

The store: 440 distinct memories written from a few templates, so that many of them share
most of their words and differ in one or two (a service, a team, a number, a weekday),
plus 60 planted near-duplicates of some of them (an exact copy, a line added, a typo, a
sentence dropped, case and spacing changed, a function word changed); 40 memories carry a
relative date ("next Thursday") under a known `updated:` date; 30 name files and functions
that do not exist in the generated project (15 of them `project` memories past 90 days).

Prints: planted duplicates merged, false merges (any merge that is not a planted pair),
relative dates fixed (the phrase gone, the expected date in its place) and dates changed
where none was planted, stale memories flagged and retired, the guard's and the gate's
verdicts, and the run time (dry run and apply, median of `--repeat`).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path

SERVICES = [f"{a}{b}" for a in ("pay", "bill", "ship", "auth", "search", "feed", "mail", "stock")
            for b in ("core", "api", "sync", "hub", "edge", "jobs", "desk", "lens")]  # fmt: skip
TEAMS = ["Kestrel", "Osprey", "Heron", "Falcon", "Merlin", "Puffin", "Plover", "Tern"]
PEOPLE = ["Dana", "Ravi", "Ines", "Tomas", "Mei", "Olu", "Sanna", "Karim"]
DAYS = ["Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays"]
TEMPLATES = {
    "project": (
        "Deploy window for {svc}",
        "Deploys of the {svc} service happen only on {day}, after the {team} team signs off.\n"
        "**Why:** the {svc} rollout in 2026 broke checkout for {n} minutes.\n"
        "**How to apply:** schedule {svc} releases for {day} and ask {person} to approve.",
    ),
    "feedback": (
        "Review rule for {svc}",
        "Changes to {svc} need two reviewers from team {team}, never one.\n"
        "**Why:** a single-review change to {svc} leaked {n} records.\n"
        "**How to apply:** request {person} and one more {team} reviewer on every {svc} change.",
    ),
    "reference": (
        "Dashboards of {svc}",
        "The {svc} latency dashboard is in Grafana under {team}/{svc}, panel {n}.\n"
        "Alerts for {svc} go to the #{svc}-alerts channel that {person} watches.",
    ),
    "user": (
        "How {person} likes {svc} answers",
        "{person} maintains {svc} and wants answers about it short, code first.\n"
        "{person} has run {svc} for {n} months with team {team}.",
    ),
}
RELATIVE = [
    ("The {svc} cutover is next Thursday.", "2026-03-05"),
    ("The {svc} freeze starts tomorrow.", "2026-03-03"),
    ("We moved {svc} to the new cluster yesterday.", "2026-03-01"),
    ("The {svc} audit is due in two weeks.", "2026-03-16"),
    ("{person} joined the {svc} rota next week.", "the week of 2026-03-09"),
]
WRITTEN = "2026-03-02"


def _memory(name: str, description: str, kind: str, body: str, extra: str = "") -> str:
    return f"---\nname: {name}\ndescription: {description}\ntype: {kind}\n{extra}---\n{body}\n"


def _variant(body: str, how: int, rng: random.Random) -> str:
    lines = body.split("\n")
    if how == 0:
        return body
    if how == 1:
        return body + f"\nConfirmed again in session {rng.randint(100, 999)}."
    if how == 2:
        words = body.split(" ")
        i = next(i for i, w in enumerate(words) if len(w) > 6 and w.isalpha())
        w = words[i]
        words[i] = w[:2] + w[3] + w[2] + w[4:]  # swap two letters
        return " ".join(words)
    if how == 3:
        return "\n".join(lines[:-1]) if len(lines) > 2 else body + "\n"
    if how == 4:
        return "\n".join("  " + line.upper() for line in lines)
    return body.replace(" the ", " a ", 1)


def build(root: Path, rng: random.Random) -> dict[str, object]:
    folder, project = root / "memories", root / "project"
    folder.mkdir(parents=True)
    (project / "src" / "app").mkdir(parents=True)
    (project / "src" / "app" / "main.py").write_text("def run_server():\n    pass\n")
    combos = [(k, s, t) for k in TEMPLATES for s in SERVICES for t in TEAMS]
    rng.shuffle(combos)
    base: list[tuple[str, str, str, str]] = []
    seen: dict[tuple[str, str], int] = {}
    for kind, svc, team in combos:
        # At most two per (type, service): those two differ only in the team, the day,
        # the person and a number; distinct facts that share nearly every word.
        if seen.get((kind, svc), 0) >= 2:
            continue
        seen[(kind, svc)] = seen.get((kind, svc), 0) + 1
        title, template = TEMPLATES[kind]
        fill = {"svc": svc, "team": team, "day": rng.choice(DAYS), "person": rng.choice(PEOPLE),
                "n": rng.randint(2, 90)}  # fmt: skip
        name = title.format(**fill)
        description = f"{name}: {team} team, {fill['day'].lower()}"
        base.append(
            (
                f"{kind}_{svc}_{team.lower()}.md",
                kind,
                name,
                template.format(**fill) + "\n" + description,
            )
        )
        if len(base) == 440:
            break
    dup_sources = rng.sample(range(len(base)), 60)
    rest = [i for i in range(len(base)) if i not in set(dup_sources)]
    dated = rng.sample(rest, 40)
    rest = [i for i in rest if i not in set(dated)]
    stale = rng.sample(rest, 30)
    expected_dates: dict[str, str] = {}
    stale_old: list[str] = []
    files: dict[str, str] = {}
    for i, (file, kind, name, body) in enumerate(base):
        extra = ""
        if i in dated:
            phrase, meant = RELATIVE[len(expected_dates) % len(RELATIVE)]
            svc = file.split("_")[1]
            body += "\n" + phrase.format(svc=svc, person=rng.choice(PEOPLE))
            expected_dates[file] = meant
            extra = f"updated: {WRITTEN}\n"
        if i in stale:
            n = stale.index(i)
            body += (
                f"\nThe importer lives in `src/legacy/import_{n}.py`; `load_batch_{n}()` runs it."
            )
            old = n < 15
            if old:
                kind, extra = "project", "updated: 2025-01-10\n"
                stale_old.append(file)
            else:
                extra = "updated: 2026-11-20\n"
        files[file] = _memory(name, name, kind, body, extra)
    planted: list[tuple[str, str]] = []
    for n, i in enumerate(dup_sources):
        file, kind, name, body = base[i]
        copy = f"{file[:-3]}_again.md"
        files[copy] = _memory(name, name, kind, _variant(body, n % 6, rng))
        planted.append((file, copy))
    for file, text in files.items():
        (folder / file).write_text(text, encoding="utf-8")
    (folder / "MEMORY.md").write_text("")
    # How alike the distinct memories are: pairs of one type sharing most of their words.
    from memdir.dream._words import content_words

    sets = [(kind, content_words(body)) for _f, kind, _n, body in base]
    close = sum(
        1
        for i in range(len(sets))
        for j in range(i + 1, len(sets))
        if sets[i][0] == sets[j][0]
        and len(sets[i][1] & sets[j][1]) >= 0.7 * len(sets[i][1] | sets[j][1])
    )
    return {
        "close": close,
        "folder": folder, "project": project, "planted": planted,
        "dates": expected_dates, "stale_old": stale_old, "stale": len(stale),
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-dream-"))
    os.environ["MEMDIR_STATE_DIR"] = str(root / "state")
    from memdir.dream import Action, consolidate
    from memdir.dream.settings import DreamSettings
    from memdir.store.folder import MemoryDir

    try:
        built = build(root / "store", random.Random(args.seed))
        folder: Path = built["folder"]
        project: Path = built["project"]
        store = MemoryDir(folder)
        store.sync_index()
        # 200 logged recalls, so the recall gate has real queries to replay.
        from memdir.recall import query_log
        from memdir.recall.recaller import Recaller

        recaller = Recaller(store)
        rng = random.Random(args.seed + 1)
        for file in rng.sample(sorted(p.name for p in folder.glob("*_*.md")), 200):
            words = file[:-3].split("_")
            recaller.recall(f"what should I know about {words[1]} {words[0]} notes", offline=True)
        settings = DreamSettings()
        dry_times, apply_times = [], []
        run = dry = None
        for n in range(args.repeat):
            copy = root / f"copy{n}"
            shutil.copytree(folder, copy)
            logged = query_log.log_path(store.state_path, folder)
            shutil.copy(logged, query_log.log_path(store.state_path, copy))
            started = time.perf_counter()
            dry = consolidate(
                MemoryDir(copy), offline=True, project_root=project, settings=settings
            )
            dry_times.append(time.perf_counter() - started)
            # The recall gate holds this plan (recalled memories are retired as stale):
            # applied anyway, as `--allow-loss` would, to check what lands in the folder.
            started = time.perf_counter()
            run = consolidate(
                MemoryDir(copy),
                apply=True,
                allow_loss=True,
                offline=True,
                project_root=project,
                settings=settings,
            )
            apply_times.append(time.perf_counter() - started)
            if n < args.repeat - 1:
                shutil.rmtree(copy)
        assert run is not None and dry is not None
        result_folder = root / f"copy{args.repeat - 1}"
        merged = {e.file: e.into for e in run.plan.entries if e.action is Action.MERGED}
        planted = built["planted"]
        pairs = {frozenset(p) for p in planted}
        hit = sum(1 for a, b in planted if merged.get(b) == a or merged.get(a) == b)
        false = [(f, t) for f, t in merged.items() if frozenset((f, t)) not in pairs]
        dates: dict[str, str] = built["dates"]
        fixed = 0
        for file, meant in dates.items():
            text = (result_folder / file).read_text(encoding="utf-8")
            if meant in text:
                fixed += 1
        updated = {e.file for e in run.plan.entries if e.action is Action.UPDATED}
        unplanted_dates = [
            f
            for f in updated
            if f not in dates
            and "relative date" in next(e.reason for e in run.plan.entries if e.file == f)
            and f not in {a for a, _ in planted}
        ]
        retired = {e.file for e in run.plan.retired}
        print(
            f"store: {sum(1 for _ in folder.glob('*.md')) - 1} memories, {len(planted)} planted "
            f"near-duplicate pairs, {len(dates)} relative dates, "
            f"{built['stale']} naming deleted files"
        )
        print(f"dry run: {dry.status}; apply with --allow-loss: {run.status}")
        print(f"plan: {run.plan.counts()}")
        print(f"planted duplicates merged: {hit}/{len(planted)} ({hit / len(planted):.0%})")
        print(
            f"false merges: {len(false)} {false[:5]} (distinct pairs of one type sharing "
            f">= 70% of their words: {built['close']})"
        )
        print(
            f"relative dates fixed: {fixed}/{len(dates)}; dates changed where none was planted: "
            f"{len(unplanted_dates)}; dates_fixed counter: {run.dates_fixed}"
        )
        stale_old = built["stale_old"]
        print(
            f"stale: {len(run.flagged)} flagged, {len(retired)} retired "
            f"({len(retired & set(stale_old))}/{len(stale_old)} of the old project ones)"
        )
        gate = dry.gate
        print(
            f"guard: {run.verdict.ok if run.verdict else None} "  # fmt: skip
            f"(limit {run.verdict.limit if run.verdict else '-'}); recall gate: "
            f"{gate.replayed if gate else 0} queries replayed, {gate.judged if gate else 0} "
            f"recalled memories judged, {len(gate.unreachable) if gate else 0} unreachable "
            f"({sum(1 for u in gate.unreachable if u.now) if gate else 0} of them merged ones, "
            f"the rest retired)"
        )
        print(
            f"time, dry run: median {statistics.median(dry_times) * 1000:.0f} ms "
            f"(best {min(dry_times) * 1000:.0f})"
        )
        print(
            f"time, apply:   median {statistics.median(apply_times) * 1000:.0f} ms "
            f"(best {min(apply_times) * 1000:.0f})"
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
