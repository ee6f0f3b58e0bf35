"""The benchmark's audio: the real speech in tests/data, and long noisy notes it synthesizes.

A synthesized note is English reflection spoken by espeak-ng in a few voices, speeds and pitches,
with pauses between thoughts, mixed with road noise at 10 to 15 dB SNR, cut to the telephone band
and encoded as a phone or browser would record it (AAC in .m4a, Opus in .webm and .ogg, MP3).
The same seed gives the same note, and notes are cached (benchmarks/.cache/, ignored by git).
"""

from __future__ import annotations

import hashlib
import logging
import random
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(__file__).resolve().parent / ".cache" / "notes"
#: Bump when the recipe changes, so cached notes are made again.
RECIPE = "3"

VOICES = ("en-us", "en-gb", "en-gb-x-rp", "en-us+f3", "en-gb+m3", "en-us+m4")
ENCODERS = {
    "m4a": ["-ar", "48000", "-c:a", "aac", "-b:a", "64k"],
    "webm": ["-ar", "48000", "-c:a", "libopus", "-b:a", "24k"],
    "ogg": ["-ar", "48000", "-c:a", "libopus", "-b:a", "24k"],
    "mp3": ["-ar", "44100", "-c:a", "libmp3lame", "-b:a", "48k"],
}

SENTENCES = (
    "Today's session was harder than I expected.",
    "I noticed that I get defensive whenever my mother comes up.",
    "My therapist asked me what I was afraid would happen if I said no.",
    "I think I have been carrying this worry for most of the year.",
    "When I left the building I felt lighter, as if something had shifted.",
    "We talked about the argument with my brother at the wedding.",
    "I want to remember the breathing exercise before the next meeting at work.",
    "It is strange how tired I feel after talking for an hour.",
    "She pointed out that I apologise even when nothing is my fault.",
    "I still do not know whether I should take the new job.",
    "The homework for this week is to write down one good thing every evening.",
    "I was surprised that I cried when we talked about my father.",
    "Sleep has been better since I stopped checking my phone in bed.",
    "I keep telling myself that I should be over this by now.",
    "Part of me wants to call my sister and part of me is still angry.",
    "We practised what I could say to my manager on Monday morning.",
    "I felt heard today, and that does not happen very often.",
    "The anxiety was loud this morning, but it faded by lunchtime.",
    "I need to be kinder to myself when I make mistakes.",
    "We agreed that I would go for a walk on the days I feel stuck.",
    "My partner and I have been arguing about money again.",
    "I realised that I never learned how to ask for help as a child.",
    "The traffic is terrible, but I wanted to record this while it is fresh.",
    "I am proud that I set a boundary with my friend last weekend.",
    "It helps to say these things out loud instead of keeping them in my head.",
    "My mood is a little better than last week, maybe a six out of ten.",
    "I want to bring up the panic attack at the supermarket next time.",
    "She asked what my younger self would need to hear right now.",
    "I have been avoiding the garden because it reminds me of my grandmother.",
    "Writing in the journal felt silly at first, but now I look forward to it.",
    "I notice my shoulders get tense whenever the phone rings.",
    "We talked about grief, and how it comes in waves rather than stages.",
    "I skipped the gym again, and then I spent the evening feeling guilty.",
    "The medication seems to be helping, although my appetite is still low.",
    "I think the next step is to talk honestly with my parents.",
    "Some days I feel like I am making progress, and other days I am not sure.",
    "I should remember that feelings are information, not instructions.",
    "Before the session I was nervous, but afterwards I felt calm and clear.",
    "I want to stop comparing my life to everyone else online.",
    "Tonight I will cook a proper dinner and go to bed early.",
)


@dataclass(frozen=True)
class Note:
    """One benchmark recording and what is said in it."""

    name: str
    path: Path
    reference: str
    synthesized: bool = True


@dataclass(frozen=True)
class NoteSpec:
    seconds: int
    fmt: str
    seed: int
    snr_db: float

    @property
    def name(self) -> str:
        minutes, seconds = divmod(self.seconds, 60)
        length = f"{minutes}m{seconds:02d}s" if minutes else f"{seconds}s"
        return f"note-{length}-{self.fmt}"


QUICK_SPECS = (
    NoteSpec(30, "m4a", 1, 12.0), NoteSpec(60, "webm", 2, 10.0),
    NoteSpec(90, "mp3", 3, 15.0), NoteSpec(180, "ogg", 4, 12.0),
)  # fmt: skip
FULL_SPECS = (*QUICK_SPECS, NoteSpec(600, "m4a", 5, 12.0))

JFK = Note(
    "jfk-flac", ROOT / "tests" / "data" / "jfk.flac",
    "And so, my fellow Americans, ask not what your country can do for you, ask what you can do "
    "for your country.", synthesized=False,
)  # fmt: skip


def _run(command: list[str], data: bytes | None = None) -> bytes:
    result = subprocess.run(command, input=data, capture_output=True, check=True)
    return result.stdout


def speak(text: str, voice: str, speed: int, pitch: int) -> np.ndarray:
    """Return espeak-ng's reading of ``text`` as 16 kHz mono float32."""
    wav = _run(["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "--stdout", text])
    pcm = _run(["ffmpeg", "-nostdin", "-loglevel", "error", "-i", "pipe:0", "-ac", "1",
                "-ar", str(SAMPLE_RATE), "-f", "s16le", "pipe:1"], wav)  # fmt: skip
    return np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0


def speech_track(spec: NoteSpec) -> tuple[np.ndarray, str]:
    """Paragraphs in varied voices with pauses between them, filling ``spec.seconds``."""
    rng = random.Random(spec.seed)
    target = spec.seconds * SAMPLE_RATE
    pieces: list[np.ndarray] = [np.zeros(int(rng.uniform(0.3, 1.0) * SAMPLE_RATE), np.float32)]
    said: list[str] = []
    used = len(pieces[0])
    while True:
        text = " ".join(rng.sample(SENTENCES, rng.randint(1, 3)))
        voice, speed, pitch = rng.choice(VOICES), rng.randint(145, 185), rng.randint(35, 65)
        spoken = speak(text, voice, speed, pitch)
        # Mostly short breaths; now and then a long silence, as when someone thinks or drives.
        pause = rng.uniform(4.0, 8.0) if rng.random() < 0.15 else rng.uniform(0.4, 1.8)
        gap = np.zeros(int(pause * SAMPLE_RATE), np.float32)
        if used + len(spoken) > target:
            break
        pieces += [spoken, gap]
        said.append(text)
        used += len(spoken) + len(gap)
    track = np.concatenate(pieces)[:target]
    return np.pad(track, (0, target - len(track))), " ".join(said)


def road_noise(samples: int, seed: int) -> np.ndarray:
    """Rumble of tyres and engine: low-passed brown noise, swelling as cars pass, with hiss."""
    raw = _run(["sox", "-R", "-n", "-r", str(SAMPLE_RATE), "-c", "1", "-b", "16", "-e", "signed",
                "-t", "raw", "-", "synth", f"{samples / SAMPLE_RATE + 20:.2f}",
                "brownnoise", "lowpass", "500"])  # fmt: skip
    noise = np.frombuffer(raw, dtype="<i2").astype(np.float32)
    start = random.Random(seed).randint(0, 20 * SAMPLE_RATE - 1)
    rumble = noise[start : start + samples]
    rumble /= np.sqrt(np.mean(rumble**2)) + 1e-9
    t = np.arange(samples) / SAMPLE_RATE
    swell = 1.0 + 0.5 * np.sin(2 * np.pi * t / 9.0 + seed) ** 2
    hiss = np.random.default_rng(seed).normal(0, 0.25, samples).astype(np.float32)
    return (rumble * swell + hiss).astype(np.float32)


def mix(speech: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    """Add noise so that speech (where it is present) is ``snr_db`` above it."""
    voiced = speech[np.abs(speech) > 1e-3]
    speech_rms = np.sqrt(np.mean(voiced**2)) if len(voiced) else 1.0
    noise_rms = np.sqrt(np.mean(noise**2))
    mixed = speech + noise * (speech_rms / noise_rms / 10 ** (snr_db / 20))
    return (mixed / max(1.0, float(np.max(np.abs(mixed))) / 0.9)).astype(np.float32)


def encode(samples: np.ndarray, fmt: str, target: Path) -> None:
    """Band-limit to a phone's 200 to 3,400 Hz and encode as ``fmt``."""
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes()
    _run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "s16le",
          "-ar", str(SAMPLE_RATE), "-ac", "1", "-i", "pipe:0",
          "-af", "highpass=f=200,lowpass=f=3400", *ENCODERS[fmt], str(target)], pcm)  # fmt: skip


def synthesize(spec: NoteSpec, cache: Path = CACHE) -> Note:
    """Make (or reuse from the cache) the note ``spec`` describes."""
    key = hashlib.sha256(f"{RECIPE}:{spec}".encode()).hexdigest()[:10]
    path = cache / f"{spec.name}-{key}.{spec.fmt}"
    reference = path.with_suffix(".txt")
    if not (path.is_file() and reference.is_file()):
        log.info("synthesizing %s", spec.name)
        cache.mkdir(parents=True, exist_ok=True)
        speech, text = speech_track(spec)
        encode(mix(speech, road_noise(len(speech), spec.seed), spec.snr_db), spec.fmt, path)
        reference.write_text(text + "\n")
    return Note(spec.name, path, reference.read_text().strip())


def benchmark_notes(quick: bool) -> list[Note]:
    """jfk.flac and the synthesized notes: 30 s to 3 min (quick), plus 10 min (full)."""
    return [JFK, *(synthesize(spec) for spec in (QUICK_SPECS if quick else FULL_SPECS))]
