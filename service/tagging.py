"""Automatic tags for a reflection transcript: a small, transparent rule engine.

The rules live in ``service/tag_rules.py``; this module applies them sentence by sentence (Whisper
punctuates, so ``. ! ?`` and newlines split sentences) and clause by clause, so a negation or a
plan only reaches the words it governs. Standard library only, no I/O: thousands of sentences a
second.

Tool statuses. A tool mention gets ``"planned"``, ``"tried"``, ``"helped"`` or ``"didnt-help"``;
``None`` means the tool came up without a plan or a use ("she showed me box breathing"). Not
doing a tool is no tag at all ("I never tried the breathing") unless a plan follows ("...but I
want to try it next time" is ``planned``). A clause without a tool of its own ("it helped", "I'll
try it again") speaks for the nearest tool before it, and a following sentence that points back
("It didn't help.") speaks for the tools of the sentence before. When one tool gets several
statuses across a note, the most informative wins: an outcome (``helped`` / ``didnt-help``) over
``tried`` over ``planned`` over ``None``; between two outcomes, the later one, since people
report how it went last ("helped on Monday, but by Friday it did nothing" is ``didnt-help``).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Final

from service.tag_rules import (
    ANAPHOR,
    BODY_RULES,
    CLAUSE_BREAK,
    DESCRIPTIONS,
    DIDNT_HELP,
    HELPED,
    HOPED_OUTCOME,
    IMPLIES,
    LEX_RULES,
    MOOD_ANCHORS,
    MOOD_ANCHORS_NEED_ARTICLE,
    MOOD_COPULA_SUBJECTS,
    MOOD_COPULAS,
    MOOD_FILLERS,
    MOOD_FOLLOW,
    MOOD_NOT_SELF,
    MOOD_NUMBER,
    MOOD_SCALE,
    NEGATED_PRACTICE,
    NEGATION_CANCELLERS,
    NEGATORS,
    NUMBER_WORDS,
    PLAN,
    PRACTICE,
    SELF_STATE_HELPED,
    SENTENCE_END,
    SUBJECTS,
    TOOL_EXCLUDE,
    TOOL_RULES,
    BodyRule,
    compile_folded,
    fold,
)

#: Every tag name this module can produce -> a short human description.
TAG_VOCABULARY: Final[dict[str, str]] = dict(DESCRIPTIONS)

TOOL_STATUSES: Final = ("planned", "tried", "helped", "didnt-help")
_RANK: Final[dict[str | None, int]] = {None: 0, "planned": 1, "tried": 2, "helped": 3,
                                       "didnt-help": 3}
_WORD: Final = re.compile(r"[\w']+")
_STARTS_WITH_I: Final = re.compile(r"\s*i\b")
# "couldn't eat", "barely ate": not eating is a symptom, so it does not explain a stomach away.
_CANT: Final = re.compile(r"(?:n't|\bnot|\bnever|\bbarely|\bhardly)\s+(?:\w+\s+)?$")
_MOOD_TOKEN: Final = re.compile(r"\d+\.\d\b|[\w']+|[,/]")


@dataclass(frozen=True)
class Evidence:
    """The span of the transcript that produced a tag: ``text == transcript[start:end]``."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class AutoTag:
    """One tag on a note, with every span that supports it."""

    name: str  # "kind:value", lower case, e.g. "tool:breathing"
    evidence: list[Evidence]  # at least one, in text order
    status: str | None = None  # tool:* only: one of TOOL_STATUSES, or None (mentioned only)


@dataclass(frozen=True)
class MoodReading:
    """A self-rating of mood on a 1..10 scale ("I'm like a six")."""

    value: int
    evidence: Evidence


# --- text structure -------------------------------------------------------------------------


def _normalize(text: str) -> str:
    # Curly apostrophes from some Whisper builds; same length, so offsets stay valid.
    return text.replace("\u2019", "'").replace("\u2018", "'")


def _trimmed(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


def _split(text: str, start: int, end: int, breaks: re.Pattern[str]) -> list[tuple[int, int]]:
    spans, cursor = [], start
    for m in breaks.finditer(text, start, end):
        if (span := _trimmed(text, cursor, m.start())) is not None:
            spans.append(span)
        cursor = m.end()
    if (span := _trimmed(text, cursor, end)) is not None:
        spans.append(span)
    return spans


def _sentences(text: str) -> list[tuple[int, int]]:
    spans, cursor = [], 0
    for m in SENTENCE_END.finditer(text):
        if (span := _trimmed(text, cursor, m.end())) is not None:
            spans.append(span)
        cursor = m.end()
    if (span := _trimmed(text, cursor, len(text))) is not None:
        spans.append(span)
    return spans


def _is_negator(token: str) -> bool:
    return token in NEGATORS or token.endswith("n't")


def _negated_before(text: str, floor: int, pos: int, window: int) -> bool:
    """Is there a negator among the ``window`` words before ``pos`` (not before ``floor``)?

    Scanning stops at a fresh subject, which starts another verb's scope."""
    # Look at a bounded stretch only, so long unpunctuated transcripts stay linear.
    start = max(floor, pos - 24 * window)
    tokens = _WORD.findall(text, start, pos)
    if start > floor and tokens and (text[start - 1].isalnum() or text[start - 1] == "'"):
        tokens = tokens[1:]  # the stretch began mid-word
    for i in range(len(tokens) - 1, max(-1, len(tokens) - 1 - window), -1):
        token = tokens[i]
        if token in SUBJECTS:
            return False
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        if _is_negator(token) and nxt not in NEGATION_CANCELLERS:
            return True
        if (token, tokens[i - 1] if i else "") in (("of", "instead"), ("than", "rather")):
            return True
    return False


def _negated_inside(text: str, start: int, end: int) -> bool:
    tokens = _WORD.findall(text, start, end)  # text is already case-folded
    return any(_is_negator(t) and (tokens[i + 1] if i + 1 < len(tokens) else "")
               not in NEGATION_CANCELLERS for i, t in enumerate(tokens))


def _overlaps(a: tuple[int, int], spans: list[tuple[int, int]]) -> bool:
    return any(a[0] < e and s < a[1] for s, e in spans)


# --- tools ----------------------------------------------------------------------------------


@dataclass
class _Mention:
    tag: str
    start: int
    end: int
    clause: int  # index into the sentence's clauses
    effects: list[_Effects] = field(default_factory=list)  # from other clauses / sentences


@dataclass
class _Effects:
    """What one clause says about a tool: outcomes (position, status), a plan, a practice."""

    outcomes: list[tuple[int, str]]
    plan: bool
    practice: bool
    negated_practice: bool
    refers_back: bool  # has "it/that" or is short: may speak for a tool named elsewhere
    self_state: bool  # about the client ("I ...", "felt better"): its outcome needs no "it"


def _clause_effects(text: str, start: int, end: int, mentions: list[tuple[int, int]]) -> _Effects:
    bad = [(m.start(), m.end()) for m in DIDNT_HELP.finditer(text, start, end)]
    bad = [s for s in bad if not _overlaps(s, mentions)]
    hoped = [(m.start(), m.end()) for m in HOPED_OUTCOME.finditer(text, start, end)]
    good = [(m.start(), m.end()) for pat in (HELPED, SELF_STATE_HELPED)
            for m in pat.finditer(text, start, end)]
    # "working out" is the tool, not an outcome; "didn't help" holds "help"; "might help" is hope.
    good = [s for s in good if not _overlaps(s, mentions + bad + hoped)]
    outcomes = sorted([(s, "didnt-help") for s, _ in bad] + [(s, "helped") for s, _ in good])
    plans = [(m.start(), m.end()) for m in PLAN.finditer(text, start, end)]
    live_plans = [p for p in plans if not _negated_before(text, start, p[0], 3)]
    # A verb after a plan word is the plan's ("want to try doing it"), not practice.
    first_plan = min((p[0] for p in plans), default=end)
    practice = any(
        m.start() < first_plan and not _overlaps((m.start(), m.end()), plans)
        and not _negated_before(text, start, m.start(), 3)
        for m in PRACTICE.finditer(text, start, end)
    )
    words = len(_WORD.findall(text, start, end))
    return _Effects(
        outcomes=outcomes,
        plan=bool(live_plans or hoped),
        practice=practice,
        negated_practice=NEGATED_PRACTICE.search(text, start, end) is not None,
        refers_back=ANAPHOR.search(text, start, end) is not None or words <= 5,
        self_state=SELF_STATE_HELPED.search(text, start, end) is not None
        or _STARTS_WITH_I.match(text, start, end) is not None,
    )


def _attachable(effects: _Effects) -> _Effects:
    """The part of a tool-less clause that may speak for a tool named elsewhere."""
    speak = effects.refers_back
    return _Effects(
        outcomes=effects.outcomes if speak or effects.self_state else [],
        plan=effects.plan and speak,
        practice=effects.practice and speak,
        negated_practice=effects.negated_practice and speak,
        refers_back=speak,
        self_state=effects.self_state,
    )


@dataclass(frozen=True)
class _Clauses:
    """A sentence's clauses, with a sorted index to find the clause holding a position."""

    spans: list[tuple[int, int]]
    starts: list[int]

    @classmethod
    def of_sentence(cls, text: str, ss: int, se: int) -> _Clauses:
        spans = _split(text, ss, se, CLAUSE_BREAK) or [(ss, se)]
        return cls(spans, [s for s, _ in spans])

    def index(self, pos: int) -> int:
        return max(bisect_right(self.starts, pos) - 1, 0)

    def at(self, pos: int) -> tuple[int, int]:
        return self.spans[self.index(pos)]


def _find_mentions(text: str, ss: int, se: int, clauses: _Clauses) -> list[_Mention]:
    found: list[_Mention] = []
    for tag, pattern in TOOL_RULES.items():
        exclude = TOOL_EXCLUDE.get(tag)
        excluded = [(m.start(), m.end()) for m in exclude.finditer(text, ss, se)] \
            if exclude else []
        # One pattern per tool and finditer never overlaps, so "tried the breathing" is one
        # mention, not also "the breathing".
        found += [_Mention(tag, m.start(), m.end(), clauses.index(m.start()))
                  for m in pattern.finditer(text, ss, se)
                  if not _overlaps((m.start(), m.end()), excluded)]
    return found


def _status(text: str, mention: _Mention, clauses: _Clauses,
            own: _Effects) -> tuple[bool, str | None, int]:
    """(kept, status, position) for one mention; position orders outcomes across the note."""
    effects = [own, *mention.effects]
    outcomes = [o for e in effects for o in e.outcomes]
    if outcomes:
        pos, status = max(outcomes)
        return True, status, pos
    cs, ce = clauses.spans[mention.clause]
    negated = (_negated_before(text, cs, mention.start, 8)
               or NEGATED_PRACTICE.search(text, mention.end, ce) is not None
               or any(e.negated_practice for e in mention.effects))
    if negated:
        # Not doing it is no tag, unless the note goes on to plan it.
        return any(e.plan for e in mention.effects), "planned", mention.start
    if any(e.practice for e in effects):
        return True, "tried", mention.start
    if any(e.plan for e in effects):
        return True, "planned", mention.start
    return True, None, mention.start


# --- body -----------------------------------------------------------------------------------


def _body_patterns(rule: BodyRule) -> list[re.Pattern[str]]:
    if rule.part is None or rule.cue is None:
        return []
    part, cue, gap = rf"\b(?:{rule.part})\b", rf"\b(?:{rule.cue})\b", r"(?:\W+[\w'-]+)"
    return [compile_folded(rf"{part}{gap}{{0,4}}?\W+{cue}"),  # "chest was tight"
            compile_folded(rf"{cue}{gap}{{0,3}}?\W+{part}")]  # "knot in my stomach"


_BODY: Final = [(rule, _body_patterns(rule)) for rule in BODY_RULES]
# Most sentences name no body part; one cheap search skips the part+sensation patterns for them.
_BODY_PART: Final = compile_folded(
    r"\b(?:" + "|".join(r.part for r in BODY_RULES if r.part) + r")\b")


def _body_hits(text: str, ss: int, se: int, clauses: _Clauses) -> list[tuple[str, int, int]]:
    hits = []
    has_part = _BODY_PART.search(text, ss, se) is not None
    for rule, patterns in _BODY:
        if rule.not_with and any(not _CANT.search(text, max(ss, m.start() - 30), m.start())
                                 for m in rule.not_with.finditer(text, ss, se)):
            continue  # "because I skipped lunch"; but "I couldn't eat" is a symptom, not a cause
        excluded = [(m.start(), m.end()) for m in rule.exclude.finditer(text, ss, se)] \
            if rule.exclude else []
        for pattern in patterns if has_part else ():
            for m in pattern.finditer(text, ss, se):
                cs, ce = clauses.at(m.start())
                # A part and a sensation in different clauses are not one feeling:
                # "I was in my head, and then my heart was pounding".
                if m.end() <= ce and not _overlaps((m.start(), m.end()), excluded) \
                        and not _negated_inside(text, m.start(), m.end()) \
                        and not _negated_before(text, cs, m.start(), 2):
                    hits.append((rule.tag, m.start(), m.end()))
        if rule.standalone:
            for m in rule.standalone.finditer(text, ss, se):
                if not _negated_before(text, clauses.at(m.start())[0], m.start(), 3):
                    hits.append((rule.tag, m.start(), m.end()))
    return hits


# --- public API -----------------------------------------------------------------------------


def tag_transcript(text: str) -> list[AutoTag]:
    """Tags for one transcript, sorted by name, one AutoTag per name (evidence merged)."""
    norm = fold(_normalize(text))
    spans: dict[str, set[tuple[int, int]]] = {}
    statuses: dict[str, tuple[int, int, str | None]] = {}  # tag -> (rank, position, status)
    tool_sentences: list[tuple[_Clauses, list[_Mention], list[_Effects]]] = []

    for ss, se in _sentences(norm):
        clauses = _Clauses.of_sentence(norm, ss, se)
        for rule in LEX_RULES:
            if rule.context and not rule.context.search(norm, ss, se):
                continue
            excluded = [(m.start(), m.end()) for m in rule.exclude.finditer(norm, ss, se)] \
                if rule.exclude else []
            for m in rule.pattern.finditer(norm, ss, se):
                if _overlaps((m.start(), m.end()), excluded):
                    continue
                cs = clauses.at(m.start())[0]
                if rule.negatable and _negated_before(norm, cs, m.start(), 4):
                    continue
                spans.setdefault(rule.tag, set()).add((m.start(), m.end()))
        for tag, start, end in _body_hits(norm, ss, se, clauses):
            spans.setdefault(tag, set()).add((start, end))

        mentions = _find_mentions(norm, ss, se, clauses)
        carrying = bool(tool_sentences and tool_sentences[-1][1])
        # Status cues only matter next to a tool, here or in the sentence before.
        by_clause: dict[int, list[_Mention]] = {}
        for m in mentions:
            by_clause.setdefault(m.clause, []).append(m)
        effects = [_clause_effects(norm, cs, ce, [(m.start, m.end) for m in by_clause.get(ci, [])])
                   for ci, (cs, ce) in enumerate(clauses.spans)] if mentions or carrying else []
        with_tool = sorted(by_clause)
        for ci, eff in enumerate(effects):
            if ci in by_clause or not with_tool:
                continue
            # A tool-less clause speaks for the nearest clause with a tool, preferring one before.
            k = bisect_right(with_tool, ci)
            target = with_tool[k - 1] if k else with_tool[0]
            for m in by_clause[target]:
                m.effects.append(_attachable(eff))
        if not mentions and carrying:
            # "I tried the grounding. It didn't help." -> the second sentence speaks for the first.
            carried = _attachable(_merge(effects))
            for m in tool_sentences[-1][1]:
                m.effects.append(carried)
        tool_sentences.append((clauses, mentions, effects))

    for clauses, mentions, effects in tool_sentences:
        for m in mentions:
            kept, status, pos = _status(norm, m, clauses, effects[m.clause])
            if not kept:
                continue
            spans.setdefault(m.tag, set()).add((m.start, m.end))
            candidate = (_RANK[status], pos, status)
            if m.tag not in statuses or candidate[:2] > statuses[m.tag][:2]:
                statuses[m.tag] = candidate

    for source, implied in IMPLIES.items():
        for tag in implied if source in spans else ():
            spans.setdefault(tag, set()).update(spans[source])

    return [
        AutoTag(name, [Evidence(s, e, text[s:e]) for s, e in sorted(spans[name])],
                statuses[name][2] if name in statuses else None)
        for name in sorted(spans)
    ]


def _merge(effects: list[_Effects]) -> _Effects:
    return _Effects(
        outcomes=[o for e in effects for o in e.outcomes],
        plan=any(e.plan for e in effects),
        practice=any(e.practice for e in effects),
        negated_practice=any(e.negated_practice for e in effects),
        refers_back=any(e.refers_back for e in effects),
        self_state=any(e.self_state for e in effects),
    )


def extract_mood(text: str) -> MoodReading | None:
    """The client's own 1..10 mood rating, or None; the last rating in the note wins.

    A number counts only as a self-rating: after "I'm a", "I'd say", "mood is", "today was a" or
    opening a sentence ("Maybe a seven."), and not followed by a noun ("two sisters", "3 pm",
    "seven days"). Ratings of anxiety or of the session are not mood."""
    norm = fold(_normalize(text))
    reading: MoodReading | None = None
    for ss, se in _sentences(norm):
        tokens = [(m.group(), m.start(), m.end()) for m in _MOOD_TOKEN.finditer(norm, ss, se)]
        token_at = {start: i for i, (_, start, _) in enumerate(tokens)}
        accepted: set[int] = set()
        for m in MOOD_NUMBER.finditer(norm, ss, se):
            scale = MOOD_SCALE.match(norm, m.end(), se)
            rest = scale.end() if scale else m.end()
            idx = token_at.get(m.start())
            if idx is None or not MOOD_FOLLOW.match(norm, rest, se):
                continue
            j, article = idx - 1, False
            while j >= 0 and (tokens[j][0] in MOOD_FILLERS or tokens[j][0] == ","):
                article = article or tokens[j][0] in ("a", "an", "at")
                j -= 1
            anchor = tokens[j][0] if j >= 0 else "<start>"
            before = tokens[j - 1][0] if j >= 1 else ""
            if not (scale is not None or j in accepted or anchor in MOOD_ANCHORS
                    or (anchor in MOOD_ANCHORS_NEED_ARTICLE and article)
                    or (anchor in MOOD_COPULAS and before in MOOD_COPULA_SUBJECTS)):
                continue
            if MOOD_NOT_SELF.search(norm, max(ss, m.start() - 40), m.start()):
                continue
            accepted.add(idx)
            word = m.group().removesuffix("ish").rstrip("-")
            # Evidence starts at the anchor, or at its subject for "mood is ..." / "today was ...".
            first = j - 1 if anchor in MOOD_COPULAS and j >= 1 else max(j, 0)
            start = tokens[first][1]
            reading = MoodReading(NUMBER_WORDS.get(word) or int(float(word)),
                                  Evidence(start, rest, text[start:rest]))
    return reading
