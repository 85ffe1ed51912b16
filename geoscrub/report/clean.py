"""The human words of ``clean``: one line per file as the batch goes, the summary, stop and full-disk texts.
"""
from __future__ import annotations

from pathlib import Path

from ..errors import DiskFull
from ..model import Report
from .check import bullets, sight_bullets, sight_summary, skipped_line, verdict
from .common import CleanOutcome, paint, plural_count, refusal_text, shown

_ACTION_WORDS = {
    "cleaned": ("cleaned", {"fg": "green"}),
    "already_clean": ("already clean", {"fg": "green"}),
    "already_cleaned": ("already cleaned", {"fg": "green"}),
    "would_clean": ("would clean", {"fg": "cyan"}),
    "refused": ("refused", {"fg": "red", "bold": True}),
    "rebuilt": ("rebuilt", {"fg": "yellow", "bold": True}),
    "would_rebuild": ("would rebuild", {"fg": "yellow"}),
}
#: Lines are printed as the batch goes, so the column is as wide as the longest word there can be.
_ACTION_WIDTH = max(len(word) for word, _ in _ACTION_WORDS.values())


#: A dry run's words for a photo ``--in-place`` would clean: its copy has no other name to show.
IN_PLACE_DRY_RUN = "would be replaced in place"


def clean_lines(outcome: CleanOutcome, *, dry_run: bool, colour: bool = False) -> list[str]:
    """The line for one file (with bullets when it is a dry run), printed as soon as it is done."""
    word, style = _ACTION_WORDS[outcome.action]
    head = paint(word.ljust(_ACTION_WIDTH), colour, **style) + "  " + shown(outcome.report.path)
    if outcome.action == "refused":
        return [f"{head}: {refusal_text(outcome)}"]
    if outcome.output is not None and outcome.output != outcome.report.path:
        head += f" -> {shown(outcome.output)}"
    elif outcome.action == "would_clean" and outcome.output is not None:
        head += f" ({IN_PLACE_DRY_RUN})"
    if outcome.action == "already_cleaned":
        earlier = [head + " (an earlier run made this copy; nothing to do)"]
        return earlier + ([f"  ! {outcome.warning}"] if outcome.warning else []) + _look_lines(outcome)
    if outcome.report.findings and not dry_run:
        head += f" ({removed_text(outcome.report)})"
    if outcome.note:
        head += f" [{outcome.note}]"
    lines = [head]
    if outcome.warning:
        lines.append(f"  ! {outcome.warning}")
    if dry_run:
        lines.extend(f"  - would remove: {b}" for b in bullets(outcome.report))
    return lines + _look_lines(outcome)


def _look_lines(outcome: CleanOutcome) -> list[str]:
    """--look's lines under a file: what the picture may show, and its covered copy (labelled re-encoded)."""
    lines = [f"  - {b}" for b in sight_bullets(outcome.report)]
    if outcome.covered is not None:
        from ..report_look import covered_line

        lines.append(f"  ! {covered_line(outcome.covered)}")
    return lines


def render_clean(outcomes: list[CleanOutcome], skipped: list[Path], *, dry_run: bool, colour: bool = False) -> str:
    """One line per file (with bullets when it is a dry run), then the summary."""
    lines = [line for o in outcomes for line in clean_lines(o, dry_run=dry_run, colour=colour)]
    if lines:
        lines.append("")
    lines.append(clean_summary(outcomes, skipped, dry_run=dry_run))
    return "\n".join(lines)


def removed_text(report: Report) -> str:
    """"removed 7 items: where it was taken and when it was taken" for a cleaned file."""
    return f"removed {plural_count(len(report.findings), 'item')}: {verdict(report)[len('gives away '):]}"


def extension_note(format_name: str, extension: str) -> str:
    """Why a copy's name ends differently from the original's."""
    return f"it is really a {format_name} file, so the copy ends in {extension}"


def outcome_words(outcome: CleanOutcome) -> dict[str, object]:
    """One file's result in the command line's words, for the web page (and any other host).

    ``word`` is the action as ``clean`` prints it, ``detail`` the rest of its
    line (the reason, for a refusal) and ``bullets`` what the original gave
    away, worst first.  Nothing here is HTML: the page shows it as text.
    """
    report = outcome.report
    if outcome.action == "refused":
        detail, found = refusal_text(outcome), []
    elif outcome.warning:
        detail, found = outcome.warning, []
    elif report.findings:
        detail, found = removed_text(report), bullets(report)
    else:
        detail, found = verdict(report), []
    return {
        "action": outcome.action,
        "word": _ACTION_WORDS[outcome.action][0],
        "detail": detail,
        "bullets": found,
        "note": outcome.note,
        "warning": outcome.warning,
    }


def counts_text(cleaned: int | str, already: int | str, refused: int | str) -> str:
    """How ``clean`` counts its files; the web page fills the same sentence as photos finish."""
    return f"Cleaned {cleaned}, already clean {already}, refused {refused}."


def clean_summary(outcomes: list[CleanOutcome], skipped: list[Path], *, dry_run: bool,
                  not_started: int = 0, stopped_by: str | None = None, disk_full: bool = False) -> str:
    """The closing lines: counts, every refused file again, and what an interruption left undone.

    The photo that found the disk full is not listed again: the line about
    the full disk, just above the counts, already says what happened.
    """
    cleaned = sum(1 for o in outcomes if o.action in ("cleaned", "would_clean"))
    already = sum(1 for o in outcomes if o.action == "already_clean")
    earlier = sum(1 for o in outcomes if o.action == "already_cleaned")
    refused = [o for o in outcomes if o.action == "refused"]
    rebuilt = sum(1 for o in outcomes if o.action in ("rebuilt", "would_rebuild"))
    lines = []
    if stopped_by is not None or disk_full:
        lines.append(stop_text(not_started=not_started, disk_full=disk_full, stopped_by=stopped_by, dry_run=dry_run))
    if dry_run:
        text = f"Dry run, nothing was written: {cleaned} would be cleaned, {already} already clean"
        if rebuilt:
            text += f", {rebuilt} would be rebuilt (re-encoded)"
        text += f", {len(refused)} would be refused."
    else:
        text = counts_text(cleaned, already, len(refused))
        if rebuilt:
            text += f" Rebuilt {rebuilt} (re-encoded: see the warnings above)."
    if earlier:
        text += f" {plural_count(earlier, 'photo')} had been cleaned by an earlier run: nothing to do."
    recap = [o for o in refused if not isinstance(o.report.error, DiskFull)]
    if recap:
        text += " Refused files are left exactly as they were:"
        text += "".join(f"\n  - {shown(o.report.path)}: {refusal_text(o)}" for o in recap)
    looked = sight_summary([o.report for o in outcomes])
    if looked:
        text += " " + looked
    lines.append(text)
    extra = skipped_line(skipped)
    if extra:
        lines.append(extra)
    return "\n".join(lines)


def stopped_text(signal_name: str, not_started: int, *, dry_run: bool) -> str:
    """What an interruption did: the photos listed above are done, the rest were not touched."""
    if signal_name == "SIGINT":
        why = "Stopped by Ctrl+C"
    else:
        why = f"Stopped by {signal_name}"
    done = "The photos listed above are done" if not dry_run else "The photos listed above were looked at"
    if not not_started:
        return f"{why}. {done}; nothing was left half-written."
    return (f"{why}. {done}; {plural_count(not_started, 'photo')} {'was' if not_started == 1 else 'were'} "
            f"not started and {'is' if not_started == 1 else 'are'} exactly as before. Nothing was left half-written.")


def stop_text(*, not_started: int, disk_full: bool, stopped_by: str | None, dry_run: bool) -> str:
    """Why a batch ended early: the full disk (which needs seeing to before a rerun) or the signal."""
    if disk_full:
        return disk_full_text(not_started, dry_run=dry_run)
    assert stopped_by is not None
    return stopped_text(stopped_by, not_started, dry_run=dry_run)


def disk_full_text(not_started: int, *, dry_run: bool) -> str:
    """A batch stopped by a full disk: one line, however many photos were left."""
    if not_started:
        pronoun = "it is" if not_started == 1 else "they are"
        head = f"The disk is full: {plural_count(not_started, 'photo')} not started ({pronoun} exactly as before)."
    else:
        head = "The disk is full: no photo was left to start."
    done = "The photos listed above are done" if not dry_run else "The photos listed above were looked at"
    return (f"{head} {done} and nothing was left half-written; free some space, then run the same command "
            f"again to finish.")


def stopped_check_text() -> str:
    return "Stopped by Ctrl+C before every photo was checked; nothing was changed."


def existing_file_reason(dest: Path, *, in_output_folder: bool) -> str:
    """Why a copy was not written: its name is taken by a file that is not this photo's copy."""
    fix = "move that file away or choose another --output folder" if in_output_folder else "move that file away first"
    return (f"{shown(dest)} already exists and is not a clean copy of this photo; "
            f"geoscrub never replaces it ({fix})")


def swept_text(count: int) -> str:
    """After removing temp files a stopped run left behind."""
    return f"Removed {plural_count(count, 'unfinished temp file')} left behind by an earlier run that was stopped."


def already_renamed_note() -> str:
    return "it already has a neutral name and nothing is left to remove, so it was left as it is"


def already_a_copy_note() -> str:
    return "its name says it is a cleaned copy and nothing is left to remove, so no new copy was made"
