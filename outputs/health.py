"""Judge the recent crawl runs of each source and flag what an operator should look at."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

QUIET_RUNS = 3  # this many runs in a row without anything new, after runs that had some, is suspicious
YIELD_DROP = 0.5  # a run confirming less than half the usual publications means discovery broke
MIN_COVERAGE = 0.9  # stored live publications over publications discovery listed


@dataclass(frozen=True)
class Finding:
    """One thing to look at: how bad (alert, warn) and why."""

    source: str
    level: Literal["alert", "warn"]
    message: str


def _yield(run: dict[str, Any]) -> int:
    return int(run["new"]) + int(run["changed"]) + int(run["unchanged"])


def assess(runs: Sequence[dict[str, Any]]) -> list[Finding]:
    """Findings for each source from its runs (crawl_runs rows, newest first)."""
    by_source: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for run in runs:
        by_source[run["source"]].append(run)
    findings: list[Finding] = []
    for source, history in by_source.items():
        latest, earlier = history[0], history[1:]
        if latest["status"] == "blocked":
            findings.append(Finding(source, "alert", "blocked by a bot challenge: nothing was stored"))
        elif latest["status"] == "running":
            # Running now, or its process died since: the next night closes it as interrupted if so.
            who = f" by pid {latest['pid']} on {latest['host']}" if latest.get("pid") else ""
            findings.append(Finding(source, "warn", f"running since {latest['started']}{who}"))
        elif latest["status"] != "ok":
            findings.append(Finding(source, "alert", f"last run {latest['status']}: {latest.get('message') or ''}"))
        errors = latest.get("errors") or {}
        if errors:
            kinds = ", ".join(f"{kind} ×{count}" for kind, count in sorted(errors.items()))
            findings.append(Finding(source, "warn", f"errors in the last run: {kinds}"))
        quiet = history[:QUIET_RUNS]
        before = history[QUIET_RUNS:]
        if len(quiet) == QUIET_RUNS and all(r["new"] == 0 for r in quiet) and any(r["new"] > 0 for r in before):
            usual = statistics.mean(r["new"] for r in before)
            findings.append(
                Finding(source, "warn", f"nothing new in {QUIET_RUNS} runs (before: {usual:.1f} new per run)")
            )
        ok_earlier = [_yield(r) for r in earlier[:5] if r["status"] == "ok"]
        if latest["status"] == "ok" and ok_earlier:
            usual_yield = statistics.median(ok_earlier)
            if usual_yield and _yield(latest) < YIELD_DROP * usual_yield:
                findings.append(
                    Finding(
                        source, "alert", f"yield dropped: {_yield(latest)} publications against {usual_yield:g} usually"
                    )
                )
        discovered = int(latest.get("discovered") or 0)
        live = int(latest.get("live_documents") or 0)
        if latest["status"] == "ok" and discovered and live / discovered < MIN_COVERAGE:
            findings.append(
                Finding(source, "warn", f"coverage {live / discovered:.0%}: {live} stored of {discovered} discovered")
            )
    return findings


def pdf_findings(problems: Sequence[dict[str, Any]]) -> list[Finding]:
    """Per source: PDFs that failed and are fetched again on later nights, and those given up (Digest.pdf_problems)."""
    by_source: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in problems:
        by_source[row["source"]].append(row)
    findings = []
    for source, rows in by_source.items():
        for status, what in (("pending", "pending (fetched again on later nights)"), ("given_up", "given up")):
            chosen = [r for r in rows if r["pdf_status"] == status]
            if chosen:
                first = chosen[0]
                example = f"{first['pdf_url']} ({first['pdf_error'] or 'unknown'}, {first['pdf_attempts']} attempt(s))"
                findings.append(Finding(source, "warn", f"{len(chosen)} PDF(s) {what}, e.g. {example}"))
    return findings


def conflict_findings(conflicts: Sequence[dict[str, Any]]) -> list[Finding]:
    """Per source: pages whose rel=canonical named a publication of another source (ignored, recorded)."""
    by_source: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in conflicts:
        by_source[row["source"]].append(row)
    return [
        Finding(
            source,
            "warn",
            f"{len(rows)} page(s) claimed another source's publication (left as it was), e.g. {rows[0]['url']}"
            f" -> {rows[0]['canonical_url']} of {rows[0]['owner']}",
        )
        for source, rows in by_source.items()
    ]


def integrity_findings(problems: Sequence[str], path: str) -> list[Finding]:
    """The digest's integrity check as findings: any problem is an alert naming the fix."""
    return [
        Finding("digest", "alert", f"{path}: {problem} (`migdigest reextract` rebuilds the digest from the runs)")
        for problem in problems
    ]
