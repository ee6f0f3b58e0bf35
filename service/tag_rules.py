"""Rule tables for the reflection tagger (service/tagging.py holds the engine that applies them).

Every tag is produced by a readable regular expression listed here, so a clinician or client can
see exactly why a note got a tag. Patterns are written for Whisper transcripts of young people
talking on the drive home: casual, punctuated, with fillers ("like", "honestly", "kind of").
Everything is compiled once at import and matched case-insensitively.

Conventions: a *trigger* is what names the tag; a *cue* is nearby wording that qualifies it
(a tool's status, a body part's sensation); *context* is wording the whole sentence must hold.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from typing import Final

# Rules match a case-folded copy of the transcript instead of using re.IGNORECASE, which is about
# twice as fast here. Only ASCII is folded, so every offset stays valid for evidence spans
# (str.lower() can change a string's length).
_FOLD: Final = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def fold(text: str) -> str:
    """ASCII lower-case ``text`` without changing its length."""
    return text.translate(_FOLD)


def compile_folded(source: str) -> re.Pattern[str]:
    """Compile a pattern for folded text: lower-case its letters, but not escapes like \\W."""
    out, i = [], 0
    while i < len(source):
        if source[i] == "\\":
            out.append(source[i : i + 2])
            i += 2
        else:
            out.append(source[i].lower())
            i += 1
    return re.compile("".join(out))


def rx(*alternatives: str, word_start: bool = True) -> re.Pattern[str]:
    """Compile alternatives into one pattern over folded text (one alternative per line).

    ``word_start``: every alternative begins at a word (or an apostrophe, for "'ll"); saying so
    up front lets the engine skip mid-word positions, which roughly halves matching time."""
    body = "|".join(f"(?:{a})" for a in alternatives)
    return compile_folded(rf"\b(?=[\w'])(?:{body})" if word_start else body)


@dataclass(frozen=True)
class LexRule:
    """A tag produced by a phrase. ``negatable``: a negator just before the phrase cancels it
    ("I wasn't nervous"); off for tags where the negative still answers the topic ("I didn't
    sleep" is about sleep). ``context``: the sentence must also match this (honesty needs therapy
    in view). ``exclude``: spans that look like the trigger but are not it."""

    tag: str
    pattern: re.Pattern[str]
    negatable: bool = False
    context: re.Pattern[str] | None = None
    exclude: re.Pattern[str] | None = None


@dataclass(frozen=True)
class BodyRule:
    """A body part tags only next to a sensation (tight chest, stomach dropped); ``standalone``
    phrases carry both at once (headache, couldn't breathe)."""

    tag: str
    part: str | None
    cue: str | None
    standalone: re.Pattern[str] | None = None
    exclude: re.Pattern[str] | None = None
    not_with: re.Pattern[str] | None = None  # the sentence gives a non-feeling cause


# --- sentence structure ---------------------------------------------------------------------

# Sentence ends: Whisper punctuates, so . ! ? before whitespace (not "4.5" or "3/10") or a newline.
SENTENCE_END: Final = compile_folded(r"[.!?]+(?=[\s\"')\]]|$)|\n+")

# Clause breaks scope negation and statuses: "I didn't do the breathing but I tried grounding".
# "and"/"so"/"then" only break before a new subject, so "the breathing and grounding" stays whole.
_SUBJECT = (r"(?:i|i'm|i've|i'd|i'll|it|it's|she|he|they|that|this|we|my|which|neither"
            r"|nothing|now)\b")
CLAUSE_BREAK: Final = rx(
    r"\s*[;:\u2014\u2013]\s*|\s+-\s+",
    r",\s*(?:but|though|although|however|so|because|cause|and|then|which|plus|except)\b",
    r"\s+(?:but|though|although|however|because|cause|except|whereas)\b",
    rf"\s+(?:and|so|then)\s+(?={_SUBJECT})",
    rf",\s*(?=(?:{_SUBJECT}|honestly\b|like\b))",
    word_start=False,
)

# Words that point back at a tool mentioned just before ("I tried it", "that helped").
ANAPHOR: Final = rx(r"\b(?:it|that|this|them|those|which|both|neither|none of them)\b")

# Negation is judged on tokens (see tagging._negated); these are the negating tokens.
NEGATORS: Final = frozenset(
    {"not", "never", "no", "none", "nothing", "neither", "nor", "without", "hardly", "barely",
     "cannot", "forgot", "forget", "forgetting", "skipped", "skip"}
)
# A negator followed by one of these is not a negation ("couldn't stop shaking", "not sure").
NEGATION_CANCELLERS: Final = frozenset({"stop", "stopped", "only", "sure", "matter", "just"})
# Scanning back from a trigger for a negator stops at a fresh subject: in "when I couldn't sleep
# I did the breathing" the negation belongs to the earlier verb, not to the breathing.
SUBJECTS: Final = frozenset(
    {"i", "i'm", "i've", "i'd", "i'll", "she", "he", "they", "we", "you", "she's", "he's",
     "they're", "we're", "you're"}
)

# --- tool statuses --------------------------------------------------------------------------

DIDNT_HELP: Final = rx(
    r"\b(?:didn't|did not|doesn't|does not|don't|do not|won't|wasn't|isn't|is not|hasn't|has not"
    r"|never|not)\s+(?:really\s+|even\s+|actually\s+|seem(?:ed)? to\s+|do\s+)*"
    r"(?:help|helps|helping|helped|work|works|working|worked"
    r"|do (?:much|anything|a thing|shit|jack)|doing (?:much|anything|a thing))\b",
    r"\b(?:did|does|do)\s+nothing\b",
    r"\bnothing\s+(?:really\s+)?(?:helps|helped|works|worked)\b",
    r"\b(?:neither|none)\b[^,;]*?\b(?:helped|worked|helps|works)\b",
    r"\b(?:pointless|useless|waste of time|backfired|no difference|not for me)\b",
    r"\bmade (?:it|me|things|everything) (?:feel )?worse\b|\bfelt worse\b",
    r"\b(?:made|makes|make) me (?:even )?(?:more )?(?:anxious|stressed|panicky|dizzy|worse"
    r"|angrier|sadder)\b",
)
# "help"/"work" are common words, so "work" needs a subject or adverb in front ("it worked",
# "kind of worked", "is working"), never "I worked a double".
HELPED: Final = rx(
    r"\b(?:help|helps|helped|helpful)\b",
    r"\b(?:it|that|this|which|they|kind of|kinda|sort of|actually|really|totally|definitely"
    r"|honestly|both|somewhat|mostly|even)\s+(?:work|works|worked)\b",
    r"\b(?:is|was|'s|are|been|be)\s+(?:actually\s+|really\s+|kind of\s+|kinda\s+)?working\b",
    r"\bwork(?:s|ed)? (?:for me|well|really well|wonders)\b",
    r"\bcalm(?:ed)? (?:me )?down\b|\btook the edge off\b|\bmade a (?:big |huge )?difference\b",
    r"\b(?:made|makes) (?:it|me|things|everything) (?:feel )?(?:better|easier|calmer)\b",
    r"\bwent (?:way |so much |a lot )?better\b|\bwent (?:really |so |pretty |super )?well\b",
    r"\bgot me through\b",
)
# Outcomes phrased as the client's own state attach to a tool even without "it" ("I went for a
# run and my head felt clearer").
SELF_STATE_HELPED: Final = rx(
    r"\b(?:felt|feel|feeling|feels)\s+(?:so\s+much\s+|a\s+lot\s+|way\s+|a\s+little\s+|a\s+bit\s+"
    r"|actually\s+|really\s+|kind of\s+)*(?:better|calmer|clearer|lighter|good|great|relieved)\b",
    r"\bfell asleep (?:way |so much |a lot )?(?:faster|quicker|easier)\b",
    r"\b(?:my mood|my sleep|everything|things) (?:is|are|has been|have been|'s|was|got)"
    r" (?:so much |way |a lot |a little |actually )?better\b",
)
# "might help", "should work": an outcome hoped for is a plan, not a result.
HOPED_OUTCOME: Final = rx(
    r"\b(?:might|could|would|will|should|may|hope|hoping|hopefully|'ll)\s+(?:\w+\s+)?"
    r"(?:help|helps|work|works)\b",
    # A general claim ("journaling helps a lot of people") is not this client's result.
    r"\b(?:help|helps|work|works) (?:for )?(?:a lot of |lots of |most |some |other )?"
    r"(?:people|kids|teens|others|everyone)\b",
)
PLAN: Final = rx(
    r"\b(?:want|wants|wanted|wanna|going to|gonna|plan to|plans to|planning to|planning on"
    r"|hope to|hoping to|need to|needs to|have to|has to|gotta|supposed to|would like to"
    r"|will|should|might|could try|can try|let's see|we'll see|next time|next week"
    r"|next session|tomorrow|tonight|from now on|going forward|the new rule|homework"
    r"|assigned|suggested|recommended|encouraged me to|told me to|asked me to)\b",
    r"'ll\b|'d like to\b",
)
# Doing it. The "I <verb>ed" form catches tool verbs ("I journaled", "I meditated") but not
# thinking verbs, which report insight rather than practice.
PRACTICE: Final = rx(
    r"\b(?:tried|trying|did|doing|used|using|practiced|practised|practicing|practising|kept"
    r"|keeping|wrote|started|stopped|quit|went|ran|walked|took|caught|catching"
    r"|managed to|remembered to|working on|gave (?:it|that) a (?:shot|go|try))\b",
    r"\b(?:been|was|were|I'm|am)\s+writing\b",
    r"\bI\s+(?:just\s+|actually\s+|finally\s+|also\s+|really\s+|even\s+)?"
    r"(?!(?:realized|realised|noticed|learned|wanted|needed|figured|decided|hoped|planned"
    r"|wished|wondered|guessed|assumed|worried|supposed)\b)"
    r"(?:do|use|practice|told|put|ran|set|took|kept|wrote|went|[a-z]+ed)\b",
    r"\b(?:felt|feels|feel)\s+(?:so\s+|really\s+|kind of\s+|kinda\s+)?(?:weird|awkward|stupid"
    r"|silly|cringe|dumb|forced|fake|strange|uncomfortable)\b",
)
# "I didn't do it" in a clause after the tool: the practice is negated at a distance.
NEGATED_PRACTICE: Final = rx(
    r"\b(?:\w+n't|never|not)\s+(?:really\s+|even\s+|actually\s+)?"
    r"(?:do|did|doing|try|tried|trying|use|used|using|practice|practiced)\s+(?:it|that|them"
    r"|any)\b"
)

# --- tools ----------------------------------------------------------------------------------

_BREATH_VERB = (r"do|did|doing|tried|try|trying|use|used|using|practice|practiced|practicing"
                r"|start|started|remember|remembered")
TOOL_RULES: Final[dict[str, re.Pattern[str]]] = {
    "tool:breathing": rx(
        r"\b(?:box|belly|square|diaphragmatic|deep|slow|paced|4-7-8|four[- ]seven[- ]eight)"
        r"\s+breath(?:ing|s)?\b",
        r"\bbreathing\s+(?:exercises?|techniques?|thing|stuff|app|practice|tricks?|routine)\b",
        r"\bbreathwork\b|\bbreathe in for (?:four|4)\b|\bcount(?:ed|ing)? (?:my )?breaths\b",
        rf"\b(?:{_BREATH_VERB})\s+(?:the|my|some|more|that)\s+breathing\b",
        # "the breathing" is the exercise unless it goes on to describe a body state.
        r"\bthe breathing\b(?!\s+(?:down|got|gets|was|went|felt|sped))",
        r"\bfocus(?:ed|ing)? on my breath(?:ing)?\b|\bslow(?:ed|ing)? (?:down )?my breathing\b",
    ),
    "tool:grounding": rx(
        r"\bgrounding\b(?!\s+(?:me|him|her)\b)",  # "my parents are grounding me" is a punishment
        r"\b5[- ]4[- ]3[- ]2[- ]1\b|\bfive[- ]four[- ]three\b|\b54321\b",
        r"\bname(?:d|s)? (?:five|5) things\b|\b(?:five|5) things (?:I|you) (?:can|could) see\b",
        r"\bfeet (?:flat )?on the (?:floor|ground)\b|\bice cubes?\b",
        r"\bcold water on my (?:face|hands|wrists)\b",
    ),
    "tool:boundaries": rx(
        r"\bboundar(?:y|ies)\b|\bset (?:a |some )?limits?\b|\bst(?:oo|a)nd up for myself\b",
        r"\b(?:said|say|saying|says) no\b(?!\s+(?:idea|clue|way)\b)",
        r"\b(?:told|tell|telling) (?:him|her|them|my \w+) no\b",
        r"\b(?:tell|told|telling) (?:him|her|them|my \w+) (?:that )?I (?:can't|cannot|won't"
        r"|am not going to|'m not going to|don't want to|need(?:ed)? (?:space|a break|time))",
    ),
    "tool:communication": rx(
        r"\bI[- ]statements?\b|\bI feel'? (?:statements?|sentences?|thing)\b|\bDEAR MAN\b",
        r"\bactive listening\b",
        r"\bcommunicat(?:e|ed|ing|ion)\b|\bassertive(?:ly|ness)?\b|\bheart[- ]to[- ]heart\b",
        r"\b(?:told|tell|telling|talked to|talk to|talking to|explained to|let) (?:him|her|them"
        r"|(?:my |the )?(?:\w+ ){0,2}\w+) (?:about )?how I (?:felt|feel|was feeling"
        r"|really feel)\b",
        r"\bexpress(?:ed|ing)? (?:how I (?:felt|feel)|my feelings)\b|\bopened up to\b",
        r"\basked for what I need(?:ed)?\b",
    ),
    "tool:journaling": rx(
        r"\bjournal(?:s|ed|ing|led|ling)?\b|\bdiary\b|\bgratitude list\b|\bbrain dump\b",
        r"\bwr(?:ote|ite|ites|iting) (?:it |things |stuff |everything |my thoughts "
        r"|my feelings )?down\b",
    ),
    "tool:mindfulness": rx(
        r"\bmindful(?:ness|ly)?\b|\bmeditat(?:e|ed|es|ing|ion|ions)\b|\bbody scan\b",
        r"\bheadspace\b|\bcalm app\b|\bpresent moment\b|\bleaves on a stream\b",
        r"\b(?:stay|stayed|staying|be|being) (?:more )?present\b",
        r"\bobserv(?:e|ed|ing) (?:my )?thoughts\b",
    ),
    "tool:exercise": rx(
        r"\b(?:went|go|going|gone) (?:for |on )?(?:a |another )?(?:run|jog|walk|hike|swim"
        r"|bike ride)s?\b",
        r"\b(?:went|go|going) (?:running|jogging|walking|hiking|swimming|biking|climbing)\b",
        r"\bwalk(?:ed|ing)? around the (?:block|neighborhood|park|track)\b",
        r"\b(?:work|worked|working) out\b|\bworkouts?\b|\bgym\b|\byoga\b",
        # "breathing exercise" / "grounding exercise" are other tools.
        r"(?<!breathing )(?<!grounding )\bexercis(?:e|ed|es|ing)\b",
        r"\bstretch(?:ed|ing)\b|\blift(?:ed|ing)? weights\b|\bshot hoops\b",
        r"\bplayed (?:basketball|soccer|tennis|volleyball|football)\b",
    ),
    "tool:reframing": rx(
        r"\brefram(?:e|ed|es|ing)\b|\bcognitive restructuring\b|\bcognitive distortions?\b",
        r"\bchalleng(?:e|ed|es|ing) (?:the|that|my|this|those|a) (?:\w+ )?(?:thoughts?|beliefs?"
        r"|story|voice)\b",
        r"\bthought (?:record|log)s?\b|\bthinking traps?\b|\bbalanced thoughts?\b",
        r"\b(?:caught|catch|catching|noticed) myself (?:catastrophi[sz]\w*|all[- ]or[- ]nothing"
        r"|mind[- ]reading)\b",
        r"\b(?:look(?:ed|ing)? (?:at|for)|find|found|weigh(?:ed)?) the evidence\b",
        r"\banother way to (?:look at|see|think about) (?:it|this|that)\b",
        r"\bis (?:that|it|this) (?:actually|really) true\b|\bfacts? (?:vs\.?|versus) feelings?\b",
    ),
    "tool:self-compassion": rx(
        r"\bself[- ]compassion\b",
        r"\b(?:be|being|was|am|'m|were|been)\s+(?:\w+\s+){0,3}?(?:kind|kinder|nice|nicer"
        r"|gentle|gentler|easier|softer)\s+(?:to|on|with)\s+myself\b",
        r"\b(?:less|not so|not as|not too) hard on myself\b",
        r"\btalk(?:ing|ed)? to myself (?:like|the way) (?:I'd|I would|you'd|you would)\b",
        r"\bwhat I'd (?:say|tell) (?:to )?a friend\b|\bcut myself (?:some )?slack\b",
        r"\b(?:give|gave|giving) myself (?:some )?grace\b|\bforg(?:ive|ave|iving) myself\b",
    ),
    "tool:sleep-hygiene": rx(
        r"\bsleep hygiene\b|\b(?:bedtime|wind[- ]down|night(?:time)?) routine\b",
        r"\b(?:no|off|stop|stopped|less|without|put away)\s+(?:\w+\s+){0,2}?(?:screens?|phones?"
        r"|scrolling|tiktok|social media|caffeine|coffee|energy drinks?|soda)\b[^.!?]{0,25}?"
        r"\b(?:before|in|at)"
        r" (?:bed|bedtime|night)\b",
        r"\bphone\b[^.!?]{0,30}?\b(?:away|kitchen|across the room|other room|out of (?:my|the)"
        r" (?:room|bedroom)|outside (?:my|the) (?:room|bedroom))\b[^.!?]{0,20}?\b(?:before|at)"
        r" (?:bed|bedtime|night)\b",
        r"\b(?:same|regular|consistent) (?:bedtime|wake[- ]up time|sleep schedule)\b",
        r"\bno (?:phones?|screens?|scrolling) after (?:\d+|nine|ten|eleven|midnight)\b",
    ),
    "tool:mood-tracking": rx(
        r"\bmood (?:tracker|tracking|log|logs|chart|diary|app|check-?ins?)\b|\bdaylio\b",
        r"\btrack(?:ed|ing|s)? (?:of )?my (?:moods?|feelings|emotions)\b",
        r"\b(?:log|logged|logging) my moods?\b",
    ),
}
# Spans that contain a tool's words but are not the tool.
TOOL_EXCLUDE: Final[dict[str, re.Pattern[str]]] = {
    "tool:exercise": rx(
        r"\b(?:it|things|that|this|everything|stuff)\s+(?:\w+\s+){0,2}?work(?:s|ed)? out\b",
        r"\bwork(?:ed|ing)? out (?:the|a|how|what|whether|if|between|okay|ok|fine|in the end)\b",
    ),
}

# --- prompts, themes, people ----------------------------------------------------------------

_THERAPY_CONTEXT = rx(r"\btherap\w*|\bsessions?\b|\bcounsel\w*")

LEX_RULES: Final[tuple[LexRule, ...]] = (
    # The three reflection questions: what stuck, what I avoided, what I learned.
    LexRule("prompt:stuck-with-me", rx(
        r"\b(?:stuck|sticks|stick|stayed|stays) with me\b",
        r"\b(?:keep|kept|can't stop|couldn't stop|still) (?:thinking|replaying)\b",
        r"\b(?:hit|got to) me (?:hard|the most|so hard)\b|\bwhat (?:really )?(?:hit|got) me\b",
        r"\bhit home\b|\bthe part that (?:got|hit|stuck)\b|\bkeeps? coming back to\b",
        r"\bon repeat\b|\b(?:can't|couldn't|cannot) (?:shake|get (?:it|that|this) out of my"
        r" head)\b",
    ), negatable=True),
    LexRule("prompt:avoided", rx(
        r"\bavoid(?:ed|ing)?\s+(?:talking|thinking|bringing|mentioning|going|getting|answering"
        r"|dealing|the (?:subject|topic|question|conversation|whole|stuff|thing|part)"
        r"|that|it|her question|his question)\b",
        r"\bbrush(?:ed|ing)? (?:it |that |her |him |the question |this )?off\b",
        r"\b(?:dodged|dodging|deflected|deflecting|glossed over|skirted|skipped over"
        r"|skated (?:past|over|around)|talked around)\b",
        r"\b(?:didn't|did not|never) (?:bring|brought) (?:up|it up|that up|\w+ up"
        r"|the \w+ up)\b|\b(?:didn't|did not|never) mention\b",
        r"\b(?:didn't|did not) tell (?:her|him|them|my therapist|the therapist|my counselor)\b",
        r"\bchang(?:e|ed|ing) the (?:subject|topic)\b",
        r"\b(?:made|cracked) a joke (?:so|to|instead)\b|\blaughed it off\b",
    ), negatable=True),
    LexRule("prompt:learned", rx(
        r"\bI (?:\w+ )?(?:learned|learnt|realized|realised)\b|\bmade me realize\b",
        r"\b(?:figured|figure) out (?:that|why|how|what)\b",
        r"\b(?:it |that )?(?:kind of |finally |really |just )?clicked\b",
        r"\bI (?:get|understand|see) (?:it )?now\b|\bI never (?:knew|realized|noticed)\b",
        r"\bsomething (?:new )?about myself\b|\b(?:an? )?(?:aha|lightbulb) moment\b",
        r"\bdawned on me\b",
    ), negatable=True),
    LexRule("theme:resistance", rx(
        r"\b(?:not|wasn't|isn't|never)\s+(?:\w+\s+)?ready\b",
        r"\b(?:got|get|getting|was|felt|so|really|kind of|a little) defensive\b",
        r"\bshut(?:ting)? (?:down|her out|him out|them out)\b|\bclammed up\b",
        r"\b(?:didn't|don't|did not|do not|wouldn't) want to (?:talk|go there|go into|get into"
        r"|think|answer|open up|deal|look|say|bring|admit)\b",
        r"\b(?:skipped|cancell?ed|bailed on) (?:my |the |today's )?(?:session|appointment"
        r"|therapy)\b",
        r"\b(?:kept|keep|stayed) (?:it|things) (?:surface|on the surface|light)\b",
        r"\bresist(?:ance|ing|ed)\b",
    ), negatable=True),
    LexRule("theme:honesty", rx(
        r"\b(?:honest|honesty|lied|lying|pretend(?:ed|ing)?|faking|good client"
        r"|people[- ]pleas\w*|sugarcoat\w*|perform(?:ing)?)\b",
        r"\b(?:is|isn't|is not|'s not|was|wasn't|has been|hasn't been|are|aren't|it's|not)"
        r" (?:\w+ ){0,2}?(?:working|helping|helpful|a good fit)\b",
        r"\bfeels? like (?:just )?venting\b|\bswitch therapists\b",
        r"\b(?:tell|told|telling|say|said|admit|admitted) (?:my therapist|the therapist"
        r"|my counselor) (?:that|the truth|how I really)\b",
        r"\b(?:don't|do not|doesn't) (?:think |feel like )?(?:my therapist|she|he|therapy|this"
        r"|the therapist|my counselor) (?:gets|understands|is (?:a good )?fit|is helping"
        r"|is working|helps|listens)\b",
        r"\b(?:give|gave|rate|rated) (?:the|this|today's|that) (?:session|therapy|appointment)\b",
        r"\bsession (?:felt|was|is|seemed) (?:so |really |kind of |kinda |pretty )?(?:rushed"
        r"|pointless|useless|awkward|off|boring|helpful|productive)\b",
    ), context=_THERAPY_CONTEXT, exclude=rx(r"\bto be honest\b")),
    # Said to the therapist in so many words, so no therapy word is needed around it.
    LexRule("theme:honesty",
            rx(r"\b(?:didn't|did not|don't) like (?:that|the|her|his) question\b")),
    LexRule("theme:pattern", rx(
        r"\bevery (?:single )?time\b|\bwhenever\b|\beach time\b|\bpatterns?\b",
        r"\bI (?:always|usually|tend to)\b|\bI'm always\b|\balways (?:end up|do this)\b",
        r"\bI keep (?!thinking|replaying|coming back|wondering)\w+ing\b",
        r"\bsame thing (?:happens|happened|again|every)\b|\bI noticed (?:that|how|when)\b",
        r"\bhappens (?:every|all the time)\b|\bconnect(?:ed|ing)? the dots\b",
        r"\b(?:do|does|did) this thing where\b|\bagain and again\b|\bover and over\b",
    )),
    LexRule("theme:sleep", rx(
        r"\b(?:sleep|sleeping|slept|asleep|insomnia|nightmares?|bedtime)\b",
        r"\b(?:stayed|stay|was|been) up (?:late|all night|until|till)\b|\bup all night\b",
        r"\b(?:woke|wake|waking) up (?:at|in the middle|a lot|every|early|multiple)\b",
    )),
    LexRule("theme:anxiety", rx(
        r"\b(?:anxious|anxiety|anxieties|panic\w*|nervous|worried|worrying|worry|worries)\b",
        r"\b(?:on edge|freak(?:ed|ing)? out|overwhelm\w*|stressed|stress|dread\w*|scared"
        r"|afraid|terrified|uneasy|racing thoughts|overthink\w*)\b",
        r"\bspiral\w*",
    ), negatable=True),
    LexRule("theme:low-mood", rx(
        r"\b(?:sad|sadness|depressed|depression|depressing|hopeless\w*|lonely|loneliness"
        r"|worthless|miserable|crying|cried|cry|sobbing|sobbed|heartbroken|unmotivated)\b",
        r"\b(?:feel|feeling|felt|been|was|am|'m|so|really|pretty)\s+(?:so\s+|really\s+"
        r"|pretty\s+|kind of\s+|kinda\s+)?(?:down|low(?![- ]key)|blah|bleh|empty|numb"
        r"|crappy|like (?:crap|garbage|trash|shit|a failure))\b",
        r"\bhate myself\b|\bno (?:energy|motivation)\b|\bwant to get out of bed\b",
    ), negatable=True, exclude=rx(
        r"\bgood (?:kind of )?cry(?:ing)?\b|\bhappy (?:tears|crying)\b|\bcried laughing\b"
    )),
    LexRule("theme:progress", rx(
        r"\bprogress\b|\bproud (?:of (?:myself|me)|that I|I)\b|\bgrowth\b"
        r"|\bcome a long way\b",
        r"\b(?:getting|got|gotten) (?:a little |a lot |so much |way )?(?:better|easier)\b",
        r"\b(?:easier|better|calmer) than (?:usual|before|last (?:week|time|month)"
        r"|it used to|I (?:was|used to))\b",
        r"\b(?:huge|big|a big deal|a big step) for me\b",
        r"\bfirst time (?:I|in|that|ever)\b|\b(?:small|little|big|a) win\b",
        r"\bimprov(?:ed|ing|ement)\b|\ba better (?:week|day|month)\b|\bbreakthrough\b",
        r"\b(?:days|weeks|months) (?:since|without) (?:I|a|my|the|any)\b",
    ), negatable=True),
    # People: any mention counts ("my mom called"); a hypothetical friend does not.
    LexRule("people:mom", rx(r"\b(?:mom|moms|mom's|mommy|mum|mum's|mother|mother's|mama"
                             r"|stepmom|stepmother)\b")),
    LexRule("people:dad", rx(r"\b(?:dad|dads|dad's|daddy|father|father's|stepdad|stepfather"
                             r"|papa)\b")),
    LexRule("people:parent", rx(r"\b(?:parents?|parents'|parent's|guardians?|stepparents?)\b",
                                r"\bmy folks\b")),
    LexRule("people:sibling", rx(
        r"\b(?:brothers?|brother's|sisters?|sister's|siblings?|stepbrother|stepsister"
        r"|half-brother|half-sister|twin)\b",
        r"\bmy (?:little |big |older |younger )?(?:bro|sis)\b",
    )),
    LexRule("people:partner", rx(
        r"\b(?:boyfriend|girlfriend|boyfriend's|girlfriend's|bf|gf|husband|wife|fianc[eé]e?"
        r"|spouse)\b|\bmy ex\b",
        r"(?<!lab )(?<!project )(?<!group )(?<!study )(?<!dance )\bpartner\b",
        r"\bthe (?:guy|girl|person) I'm (?:seeing|dating|talking to)\b",
    )),
    LexRule("people:friend", rx(r"\b(?:friends?|friend's|friendship|bestie|bff|homies?)\b"),
            exclude=rx(r"\b(?:I'd|I would|you'd|you would|would)\s+(?:talk to|treat|say to"
                       r"|tell)\s+a\s+friend\b|\blike a friend\b",
                       r"\bwhat I'd (?:say|tell) (?:to )?a friend")),
    LexRule("people:roommate", rx(r"\b(?:roommates?|roommate's|roomie|flatmates?|housemates?"
                                  r"|suitemates?)\b")),
    LexRule("people:coworker", rx(r"\b(?:co-?workers?|coworker's|colleagues?|boss|boss's"
                                  r"|manager|supervisor|shift lead)\b",
                                  r"\b(?:people|someone|everyone) at work\b")),
    LexRule("people:therapist", rx(
        r"\b(?:therapist|therapists|therapist's|counselor|counsellor|counselors|psychologist"
        r"|shrink)\b",
        r"\b(?:in|during) (?:the |today's |our )?session,? (?:she|he|they) (?:said|asked|told"
        r"|mentioned|pointed|brought|suggested|thinks|thought)\b",
    )),
    LexRule("people:teacher", rx(r"\b(?:teachers?|teacher's|professors?|prof|tutor|coach"
                                 r"|coach's|instructor)\b")),
)

# --- body -----------------------------------------------------------------------------------

BODY_RULES: Final[tuple[BodyRule, ...]] = (
    BodyRule("body:chest", r"chest",
             r"tight\w*|heav(?:y|iness)|pressure|weight|ach(?:e|ing)|hurt\w*|pain\w*|squeez\w*"
             r"|constrict\w*|burn\w*|pound\w*|cav(?:e|ed|ing) in|flutter\w*",
             exclude=rx(r"\boff (?:my|your|his|her|our) chest\b|\bchest day\b")),
    BodyRule("body:stomach", r"stomach|gut|tummy|belly",
             r"drop\w*|sank|sink\w*|knot\w*|churn\w*|flip\w*|butterfl\w*|sick|nause\w*|queas\w*"
             r"|twist\w*|turn(?:ed|ing)|tight\w*|clench\w*|pit|hurt\w*|ach(?:e|ed|es|ing)|upset",
             standalone=rx(r"\bbutterflies\b"),
             not_with=rx(r"\b(?:ate|eat|eating|food|breakfast|lunch|dinner|hungry|starving"
                         r"|snack\w*|period|cramps?|sick with|flu|food poisoning)\b")),
    BodyRule("body:shoulders", r"shoulders?",
             r"tens\w*|tight\w*|up (?:by|to|around) my ears|hunch\w*|stiff|heavy|drop\w*|relax\w*"
             r"|loosen\w*|clench\w*|knot\w*|creep\w* up|raised|rigid"),
    BodyRule("body:heart", r"heart|heartbeat|heart rate|pulse",
             r"rac\w*|pound\w*|beat\w*|hammer\w*|thump\w*|skip\w*|flutter\w*|sank|sink\w*|drop\w*"
             r"|ach\w*|hurt\w*|heavy|fast|jump\w*|in my throat",
             exclude=rx(r"\bheart[- ]to[- ]heart\b|\bby heart\b|\bat heart\b")),
    BodyRule("body:breath", None, None, standalone=rx(
        r"\b(?:couldn't|could not|can't|cannot|could barely|can barely|could hardly"
        r"|can hardly)\s+(?:even\s+|really\s+)?breathe\b",
        r"\bshort(?:ness)? of breath\b|\bcatch my breath\b|\bhyperventilat\w*",
        r"\b(?:couldn't|could not|can't|cannot) (?:catch|get|take) (?:my|a) (?:full |deep )?"
        r"breath\b",
        r"\b(?:held|holding|hold) my breath\b|\bbreath (?:caught|hitched|got stuck)\b",
        r"\bbreath(?:ing|s)?\s+(?:\w+\s+){0,3}?(?:fast|faster|shallow|quick|short|ragged"
        r"|choppy|weird|uneven)\b",
    )),
    BodyRule("body:throat", r"throat",
             r"lump|tight\w*|clos\w*|swell\w*|constrict\w*|burn\w*|knot",
             standalone=rx(r"\bchok(?:ed|ing) up\b|\bcouldn't swallow\b")),
    BodyRule("body:head", r"head",
             r"pound\w*|spin\w*|fog\w*|fuzz\w*|throb\w*|buzz\w*|ach\w*|hurt\w*|pressure|heavy"
             r"|swim\w*",
             standalone=rx(r"\bheadaches?\b|\bmigraines?\b|\bdizzy\b|\blight-?headed\b")),
    BodyRule("body:jaw", r"jaw|teeth",
             r"clench\w*|tight\w*|tens\w*|lock\w*|ach\w*|hurt\w*|grind\w*"),
    BodyRule("body:hands", r"hands?|palms?|fingers?|fists?",
             r"shak\w*|shook|trembl\w*|sweat\w*|clamm\w*|numb|tingl\w*|jitter\w*|fidget\w*"
             r"|clench\w*|cold|twitch\w*"),
    BodyRule("body:legs", r"legs?|knees?|feet|foot",
             r"bounc\w*|shak\w*|shook|jelly|weak|gave out|giving out|restless|jitter\w*|tapp\w*"
             r"|numb|wobbl\w*|trembl\w*"),
    BodyRule("body:face", r"face|cheeks?",
             r"hot|burn\w*|red|flush\w*|warm",
             standalone=rx(r"\bblush\w*")),
)

# A tag that always brings another: naming something avoided is resistance, and sleep hygiene
# is a sleep topic.
IMPLIES: Final[dict[str, tuple[str, ...]]] = {
    "prompt:avoided": ("theme:resistance",),
    "tool:sleep-hygiene": ("theme:sleep",),
}

DESCRIPTIONS: Final[dict[str, str]] = {
    "prompt:stuck-with-me": "Answers 'what stuck with me most?'",
    "prompt:avoided": "Answers 'was there anything I avoided or brushed off?'",
    "prompt:learned": "Answers 'did I learn something new about myself?'",
    "tool:breathing": "Breathing exercise (box, deep, 4-7-8 breathing)",
    "tool:grounding": "Grounding technique (5-4-3-2-1, feet on the floor, cold water)",
    "tool:boundaries": "Setting or holding a boundary, saying no",
    "tool:communication": "Communication skills (I-statements, saying how I feel, assertiveness)",
    "tool:journaling": "Journaling or writing things down",
    "tool:mindfulness": "Mindfulness or meditation (body scan, staying present)",
    "tool:exercise": "Exercise or movement (a run, a walk, the gym, yoga)",
    "tool:reframing": "Reframing / cognitive restructuring (challenging a thought)",
    "tool:self-compassion": "Self-compassion (being kinder to myself)",
    "tool:sleep-hygiene": "Sleep hygiene (no screens before bed, a bedtime routine)",
    "tool:mood-tracking": "Tracking or logging moods",
    "theme:resistance": "Resistance: avoiding, not ready, defensive, shutting down",
    "theme:honesty": "Honesty about therapy itself: what is and isn't working",
    "theme:pattern": "Noticing a pattern (every time, I always..., I noticed that)",
    "theme:sleep": "Sleep",
    "theme:anxiety": "Anxiety, worry, panic, stress",
    "theme:low-mood": "Low mood, sadness, crying, hopelessness",
    "theme:progress": "Progress, a win, pride, easier than before",
    "people:mom": "Mom",
    "people:dad": "Dad",
    "people:parent": "Parents or guardians",
    "people:sibling": "Brother or sister",
    "people:partner": "Partner, boyfriend or girlfriend, ex",
    "people:friend": "Friend(s)",
    "people:roommate": "Roommate",
    "people:coworker": "Coworker, boss or manager",
    "people:therapist": "Therapist or counselor",
    "people:teacher": "Teacher, professor, tutor or coach",
    "body:chest": "Feeling in the chest (tight, heavy, pressure)",
    "body:stomach": "Feeling in the stomach (dropped, knot, butterflies)",
    "body:shoulders": "Feeling in the shoulders (tense, up by the ears)",
    "body:heart": "Heart racing or pounding",
    "body:breath": "Breath (couldn't breathe, short of breath, shallow breathing)",
    "body:throat": "Throat (lump, tight, choked up)",
    "body:head": "Head (headache, spinning, pounding, dizzy)",
    "body:jaw": "Jaw (clenched, grinding teeth)",
    "body:hands": "Hands (shaking, sweaty palms)",
    "body:legs": "Legs or knees (bouncing, shaking, weak)",
    "body:face": "Face (hot, red, blushing)",
}

# --- mood -----------------------------------------------------------------------------------

NUMBER_WORDS: Final[dict[str, int]] = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
}
# "6.5" is one rating (read as 6, like "six and a half"), never a 6 and then a 5.
MOOD_NUMBER: Final = rx(r"(?<![\d.])(?:10|[1-9])(?:\.\d)?(?![\d.]\d)(?:-?ish)?\b",
                        r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten)(?:-?ish)?\b")
# What may follow a rating: the end, "out of ten", a time word, a hedge. A noun ("two sisters",
# "seven days", "3 pm") may not.
MOOD_SCALE: Final = rx(r"\s*(?:/\s*10\b|out of (?:10|ten)\b)", word_start=False)
MOOD_FOLLOW: Final = rx(
    r"\s*(?:$|[.,!?;:)]|-?ish\b)",
    r"\s+(?:today|tonight|right now|now|or so|or|maybe|i think|i guess|i'd say|honestly"
    r"|probably|at (?:best|most|least|the moment)|but|and|though|if|this (?:week|morning"
    r"|evening|afternoon)|lately|overall|which)\b",
    word_start=False,
)
# Fillers between a rating's anchor and its number ("I'm, like, maybe a six").
MOOD_FILLERS: Final = frozenset(
    {"a", "an", "at", "like", "maybe", "probably", "prob", "around", "about", "honestly", "more",
     "solid", "just", "only", "barely", "least", "most", "kind", "of", "kinda", "sort", "um",
     "uh", "no", "actually", "wait", "or", "well", "guess", "think", "even", "really", "pretty",
     "okay", "ok", "so", "yeah", "overall"}
)
# Anchors that make a number a self-rating. Some need an article in the fillers ("I'm a six",
# never "I'm 7 minutes away"); with "say"/"rate"/"mood is" a bare number is fine.
MOOD_ANCHORS_NEED_ARTICLE: Final = frozenset(
    {"i'm", "im", "am", "feel", "feeling", "it's", "<start>"}
)
MOOD_ANCHORS: Final = frozenset(
    {"say", "said", "rate", "rated", "rating", "mood", "mood's", "today's", "wise"}
)
# "is"/"was" anchor only after these ("mood is 4/10", "today was a ten").
MOOD_COPULA_SUBJECTS: Final = frozenset({"mood", "today", "day", "week", "it"})
MOOD_COPULAS: Final = frozenset({"is", "was", "'s"})
# Ratings of something other than the client's mood (searched in the 40 characters before the
# number, so "$" means "right before it").
MOOD_NOT_SELF: Final = rx(
    r"\b(?:anxiety|stress|panic|pain|anger|craving|urge)s?\b(?:\s+level)?\s+(?:is|was|'s|at)\b",
    r"\b(?:give|gave|giving|rate|rated|rating) (?:the|this|that|today's|my) (?:session|therapy"
    r"|appointment|movie|class|test|game|show|song|food)\b",
    # A score just before the number: "I scored 3.5 out of 10", "got an 8 out of 10".
    r"\b(?:scored|score of|got|grade of|graded|marked)(?:\s+(?:a|an|like|about|only|just))*"
    r"\s*$",
)
