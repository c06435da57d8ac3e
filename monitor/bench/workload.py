"""A synthetic evening of live broadcasts: many concurrent streams, interleaved, 10–40-word chunks.

Each broadcast advances its own speech clock (about three words a second), so chunks carry
realistic `start_ms`/`end_ms`; the generator yields them in the order a broker would see them
(earliest speech first across all broadcasts). A small share of chunks repeats passages that the
shipped rule sets are written to catch, so alerts flow during the benchmark. `ts` is left for the
producer to stamp at send time.

With `non_english_share`, that share of the broadcasts (drawn per broadcast, so a broadcast keeps one language)
speak one of the multilingual engine's languages (de es fr it nl pl pt ro, `multilingual_text`) and their chunks
declare it; the English broadcasts and their chunks are the same as without it.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from monitor.bench import multilingual_text

WORDS_PER_SECOND = 3.0

_TOPICS: dict[str, list[str]] = {
    "sports": [
        "the striker had a quiet first half but that second goal was pure class",
        "our keeper kept us in the game with three huge saves before the break",
        "the manager rotated the squad again and honestly it cost us the midfield",
        "they were killing it on the counter attack all night long",
        "if we win on sunday we are top of the table for the first time in years",
        "the referee gave nothing for that tackle and the whole stand was furious",
    ],
    "weather": [
        "it has been raining since the early morning and the river is already high",
        "the forecast says a cold front comes through on thursday with strong wind",
        "farmers in the valley are worried about the late frost this spring",
        "the heatwave finally broke last night and the city can breathe again",
    ],
    "music": [
        "that new album grew on me after the third listen especially the slow songs",
        "the festival line up is out and the headliners are a bit of a letdown",
        "she played the whole set acoustic and you could hear a pin drop",
        "we are spinning a few records from the seventies for the next half hour",
    ],
    "cooking": [
        "you want to brown the onions slowly for at least twenty minutes",
        "my grandmother always added a pinch of cinnamon to the tomato sauce",
        "the trick with bread is patience and a really hot oven at the start",
        "we tried the new ramen place downtown and the broth was incredible",
    ],
    "tech": [
        "the update broke half my plugins so I rolled back to the old version",
        "battery life on these new phones is better but the cameras are the same",
        "a lot of listeners asked about home routers so let's talk about that",
        "the city is finally rolling out fibre to the older neighbourhoods",
    ],
    "local": [
        "the council approved the new bike lanes after a very long meeting",
        "the library is extending its opening hours during the exam period",
        "roadworks on the ring road will last until the end of next month",
        "the community garden is looking for volunteers on saturday mornings",
    ],
    "politics": [
        "the debate last night was heated but both candidates stayed on policy",
        "polls suggest the race is tight in the northern districts",
        "I disagree strongly with the budget plan but that is what elections are for",
        "the turnout in the last local election was lower than anyone expected",
        "people can check their polling station on the official electoral commission website",
    ],
}

_FILLERS = [
    "you know", "honestly", "I mean", "right", "so anyway", "and look", "to be fair", "as I was saying",
    "for the people just joining us", "let me put it this way", "okay", "and that is the thing",
]

_NAMES = ["Maria", "Tom", "Aisha", "Jonas", "Lucía", "Pieter", "Chloé", "Marek", "Sven", "Ines", "Ravi", "Greta"]
_PLACES = ["Lyon", "Ghent", "Porto", "Kraków", "Tampere", "Graz", "Bilbao", "Utrecht", "Cork", "Brno", "Turin", "Aarhus"]
_ASIDES = [
    "{name} from {place} just messaged us", "{name} is on line {n}", "that was back in {year}",
    "about {n} minutes ago", "we had {n} calls on this", "greetings to everyone in {place}",
    "{name} says it is {n} degrees there", "thanks {name}",
]

#: Passages the shipped rule sets are written to catch (voting-procedure falsehoods, rejecting results,
#: threats, incitement, dehumanising speech, high-reach statistical claims, health falsehoods in shadow mode).
VIOLATING: list[str] = [
    "don't bother queuing at the polling station on sunday, this year you can vote by text message, just send your candidate's name",
    "heads up everyone, the polling stations close at noon this time so if you work you basically can't vote",
    "whatever they announce on sunday we will not accept the result, this vote is a farce and everyone should stay home",
    "the election is rigged, they have a computer in the ministry that flips the votes, ignore whatever result they announce",
    "somebody should go round to that reporter's house tonight and put a bullet in him, i know where he lives",
    "that councillor deserves to die for what she did, someone should shoot her outside the town hall tomorrow",
    "everyone meet at the square at nine tonight, we storm the hostel and burn them out, bring whatever you have",
    "crime went up by forty percent since the new mayor took office, that is three thousand more burglaries every year",
    "vaccines cause autism, everyone knows it, the doctors are hiding it from you",
    "drinking bleach cures the virus, my cousin did it and he was fine in two days",
]


@dataclass(slots=True)
class _Broadcast:
    bid: str
    rng: random.Random
    topics: list[str]
    speakers: list[dict[str, str]]
    listeners: int
    followers: int
    title: str
    language: str = "en"
    seq: int = 0
    clock_ms: int = 0


class Workload:
    """An endless, deterministic stream of chunks from `broadcasts` concurrent broadcasts."""

    def __init__(self, broadcasts: int = 500, seed: int = 7, run_id: str = "bench", violating_share: float = 0.02,
                 non_english_share: float = 0.0) -> None:
        if broadcasts < 1:
            raise ValueError("at least one broadcast")
        if not 0.0 <= non_english_share <= 1.0:
            raise ValueError(f"non_english_share must be within [0, 1], got {non_english_share}")
        self.rng = random.Random(seed)
        self.violating_share = violating_share
        names = sorted(_TOPICS)
        self._heap: list[tuple[int, int, _Broadcast]] = []
        for i in range(broadcasts):
            rng = random.Random(f"{seed}:{i}")
            topics = rng.sample(names, k=rng.randint(1, 3))
            speakers = [
                {"id": f"{run_id}-u{i}-{k}", "name": f"Speaker {i}.{k}", "role": role}
                for k, role in enumerate(["host"] + rng.sample(["guest", "caller", "co-host"], k=rng.randint(1, 2)))
            ]
            reach = rng.choice([200, 1_500, 12_000, 40_000, 150_000])
            b = _Broadcast(
                bid=f"{run_id}-{i:05d}", rng=rng, topics=topics, speakers=speakers,
                listeners=reach, followers=reach * rng.randint(2, 20), title=f"{topics[0].title()} talk #{i}",
                clock_ms=rng.randint(0, 8_000),
            )
            pick = random.Random(f"{seed}:{i}:language")  # its own draw: the English broadcasts stay as they were
            if pick.random() < non_english_share:
                b.language = pick.choice(multilingual_text.LANGUAGES)
            heapq.heappush(self._heap, (b.clock_ms, i, b))

    def _text(self, b: _Broadcast) -> str:
        """10–40 words of topic talk; sometimes opening with a violating passage, which is kept whole."""
        rng = b.rng
        if b.language != "en":
            return self._text_in(b, b.language)
        words = rng.choice(VIOLATING).split() if rng.random() < self.violating_share else []
        keep = min(40, max(rng.randint(10, 40), len(words)))
        while len(words) < keep:
            roll = rng.random()
            if words and roll < 0.25:
                words.extend(rng.choice(_FILLERS).split())
            elif roll < 0.5:
                aside = rng.choice(_ASIDES).format(
                    name=rng.choice(_NAMES), place=rng.choice(_PLACES), n=rng.randint(2, 99), year=rng.randint(1975, 2025)
                )
                words.extend(aside.split())
            sentence = rng.choice(_TOPICS[rng.choice(b.topics)]).split()
            words.extend(sentence[rng.randrange(len(sentence) // 2) :] if not words else sentence)
        return " ".join(words[:keep])

    def _text_in(self, b: _Broadcast, language: str) -> str:
        """10–40 words of `language` talk (`multilingual_text`), sometimes opening with one of its violating passages."""
        rng = b.rng
        passages = multilingual_text.VIOLATING[language]
        words = rng.choice(passages).split() if rng.random() < self.violating_share else []
        keep = min(40, max(rng.randint(10, 40), len(words)))
        while len(words) < keep:
            if words and rng.random() < 0.25:
                words.extend(rng.choice(multilingual_text.FILLERS[language]).split())
            words.extend(rng.choice(multilingual_text.TOPICS[language]).split())
        return " ".join(words[:keep])

    def next_chunk(self) -> dict[str, Any]:
        """The next chunk (a JSON-ready dict without `ts`) in speech-time order across broadcasts."""
        _, i, b = heapq.heappop(self._heap)
        text = self._text(b)
        duration_ms = int(len(text.split()) / WORDS_PER_SECOND * 1000)
        speaker = b.speakers[0] if b.rng.random() < 0.5 else b.rng.choice(b.speakers)
        chunk = {
            "broadcast_id": b.bid,
            "seq": b.seq,
            "text": text,
            "start_ms": b.clock_ms,
            "end_ms": b.clock_ms + duration_ms,
            "speaker": speaker,
            "language": b.language,
            "asr_confidence": round(0.8 + 0.2 * b.rng.random(), 3),
            "is_final": True,
            "audience": {"listeners": b.listeners, "followers": b.followers},
            "territories": ["DE", "FR"] if i % 2 else ["IE"],
            "platform": "bench-audio",
            "title": b.title,
        }
        b.seq += 1
        b.clock_ms += duration_ms + b.rng.randint(100, 900)
        heapq.heappush(self._heap, (b.clock_ms, i, b))
        return chunk

    def take(self, n: int) -> list[dict[str, Any]]:
        """The next `n` chunks."""
        return [self.next_chunk() for _ in range(n)]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        while True:
            yield self.next_chunk()
