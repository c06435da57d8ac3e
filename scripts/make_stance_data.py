#!/usr/bin/env python3
"""Write monitor/data/synthetic/stance.jsonl: project-written spoken utterances labelled with stance.

Each harmful or neutral core statement is said in several framings: asserted, quoted (read out,
"the text going round says..."), reported (news of someone saying it), denied (negation, debunk) and
condemned (counter-speech). A framing other than `assert` makes the harm label 0. Context pairs put
the bare statement after a turn that frames it (a warning that the next line is the scam's wording →
quote, label 0) or after an ordinary turn (→ assert, label 1). Extra hard negatives cover figurative
violence and correct voting information. Names are fictional; no slurs. Seeded and deterministic.
Every variant of one core statement shares its `group`, so splits never cut a statement.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "monitor" / "data" / "synthetic" / "stance.jsonl"

CORE: dict[str, list[str]] = {
    "election": [
        "the polls close at noon on sunday this time",
        "you can vote by text message, just send yes to the election office",
        "the voting machines flipped thousands of votes to the governing party",
        "dead people voted by the thousand in the eastern district",
        "the whole election was rigged and the result is fake",
        "postal ballots were dumped in a skip behind the counting centre",
        "if you're over seventy you have to vote on the monday now",
        "the count was stopped at midnight so they could swap the ballot boxes",
        "your vote won't count unless you sign the ballot paper",
        "they bused in thousands of illegal voters from across the border",
        "the result was decided before a single vote was cast",
        "nobody should accept this result, the election was stolen from us",
        "voters of the farmers party vote on tuesday, the rest on monday",
        "if you vote with a pencil they can erase it and change it",
        "the electoral commission deleted half a million names from the roll to fix it",
        "the winner isn't even eligible, he was born abroad and they hid it",
        "the ballots were counted in secret with no observers allowed at all",
        "the ink in the pens at the polling station disappears after an hour",
        "there's no point voting, the software adds votes for the mayor automatically",
        "mail ballots arriving after friday are thrown in the bin unopened",
        "the governor's people printed a million fake ballots in a warehouse",
        "you can vote twice if you go to a different polling station",
    ],
    "health": [
        "the vaccine changes your dna permanently",
        "drinking a spoon of bleach kills the virus in your body",
        "5g masts are what's really spreading the illness",
        "vitamin c cures cancer and the doctors are hiding it",
        "masks starve your brain of oxygen and cause brain damage",
        "the measles jab causes autism in children",
        "you can cure diabetes by drinking lemon water every morning",
        "chemotherapy kills more people than cancer does, so skip it",
        "garlic protects you from the flu better than any vaccine",
        "the virus was never real, the hospitals were empty the whole time",
        "holding your breath for ten seconds proves you don't have covid",
        "antibiotics cure the common cold, take them as soon as you sneeze",
        "the flu shot gives you the flu every single time",
        "breast milk from vaccinated mothers poisons babies",
        "fluoride in the tap water is a mind control drug",
        "hiv is cured by a diet of raw vegetables alone",
        "ivermectin is a guaranteed cure and hospitals are hiding it",
        "sunbathing for an hour kills the virus on your skin",
        "the covid jab contains microchips to track you",
        "insulin is unnecessary if you fast for a week",
    ],
    "threat": [
        "somebody should put a bullet in the judge before the verdict",
        "we know where the reporter lives and we'll pay her a visit with bats",
        "burn the counting centre down with the officials inside",
        "the mayor won't survive the week if he signs that order",
        "grab your guns and meet at the town hall tomorrow, we end this",
        "i will hunt down that doctor and make her pay in blood",
        "hang the traitors from the bridge, every last one of them",
        "if the senator shows his face here he'll leave in a body bag",
        "someone needs to blow up the tax office, it's the only way",
        "go to the mosque on friday and make them afraid to come back",
        "we should stab every one of those councillors",
        "let's torch the refugee hostel tonight",
        "the judge's kids go to school on elm street, just saying, they should watch out",
        "i'm going to strangle that referee when i find him after the game",
        "whoever voted for this deserves to be shot",
        "drag the minister out of his car and beat him until he stops moving",
        "we'll make the election officials disappear one by one",
        "the virologist should be lynched for what she did",
        "bring petrol, we're going to the newspaper office tonight",
        "kill the protesters, run them over if they block the road",
    ],
    "hate": [
        "immigrants are vermin and they breed like rats",
        "muslims are all terrorists waiting for the signal",
        "jews control the banks and the media and want to destroy us",
        "gay people are sick perverts who should be locked away",
        "women are too stupid to be allowed to vote",
        "black people are genetically less intelligent, it's science",
        "disabled people are a drain and shouldn't be allowed to have children",
        "the roma are thieves by nature, every one of them",
        "trans people are mentally ill freaks who shouldn't exist",
        "refugees are an invasion of subhumans coming to replace us",
        "those people from the south are filth, they ruin every street they live on",
        "asians brought the disease here, they're dirty animals",
        "migrants are parasites living off our taxes",
        "people of that religion aren't human, they're a plague",
        "mexicans are rapists and criminals, all of them",
        "lesbians are a disease on society",
        "you can't trust a jew, it's in their blood",
        "muslims should be banned from this country and sent back",
        "africans are savages who belong in cages",
        "these foreigners are cockroaches and should be exterminated",
    ],
    "none": [
        "the budget passed by six votes last night",
        "the new bridge will open in march",
        "unemployment fell to four percent this quarter",
        "the hospital is building a new children's ward",
        "the council is raising parking fees next year",
        "the festival drew forty thousand people",
        "the school term starts a week later this year",
        "the factory is cutting three hundred jobs",
        "the river flooded the lower town again",
        "the team signed a new goalkeeper from portugal",
        "interest rates are going up by a quarter point",
        "the trains will run every ten minutes from june",
        "the minister is resigning at the end of the month",
        "the library will open on sundays from now on",
        "petrol prices dropped for the third week running",
    ],
}

OPENERS = ["", "look, ", "so ", "honestly ", "i mean ", "right, ", "listen, ", "okay so ", "uh ", "and ", "you know what, ", "well "]
CLOSERS = ["", "", " and that's a fact", " believe me", " you know", " i'm telling you", " okay", " mark my words", " everybody knows it"]

QUOTE = [
    "there's a text going round that says {c}, i'm reading it out so you know what it looks like",
    "a listener forwarded us this message, quote, {c}, unquote",
    "the post says, and i'm quoting directly, {c}",
    "one of the comments under our video reads {c}",
    "the leaflet pushed through doors said {c}, those are its exact words",
    "here's what the chain message claims: {c}",
    "someone wrote in the chat {c}, that's what they wrote",
    "the caption on the viral clip is {c}",
    "we've been sent screenshots saying {c}",
    "the exact wording of the scam message is {c}",
    "on the placard it said {c}",
    "the voice note doing the rounds goes like this: {c}",
]
REPORT = [
    "police say a man posted online that {c}, and he has been arrested",
    "the court heard the defendant had written that {c}",
    "according to the report, the group's channel claimed {c}",
    "investigators found messages saying {c}",
    "the regulator fined the station after a guest said {c}",
    "reporters traced the rumour that {c} to a handful of accounts",
    "the platform removed thousands of posts claiming {c}",
    "in the trial transcript, the accused is recorded saying {c}",
    "our correspondent reports that leaflets claiming {c} were found in the town",
    "prosecutors say the suspect told followers {c}",
    "the researchers counted how often people shared the claim that {c}",
    "the newspaper reported that a councillor had said {c}",
]
DENY = [
    "it is simply not true that {c}",
    "no, {c} is false, that's been checked again and again",
    "let me be clear, nobody credible says {c}",
    "the claim that {c} has been debunked by every fact checker",
    "people keep saying {c}, but it's a myth",
    "there is zero evidence that {c}",
    "fact check: {c}? false",
    "contrary to what you may have heard, it's not the case that {c}",
    "i've seen people online saying {c}, and that's just wrong",
    "don't believe anyone who tells you {c}, it isn't true",
    "the idea that {c} is a rumour with nothing behind it",
    "we looked into it, and no, {c} is not what happened",
]
CONDEMN = [
    "someone just said {c}, and that is disgusting, we won't have that here",
    "saying {c} is hateful and wrong, full stop",
    "if you think {c}, you should be ashamed of yourself",
    "i condemn anyone who says {c}, that kind of talk gets people hurt",
    "a caller told us {c} and i cut him off, there's no place for that",
    "to the person who wrote {c} in our comments: no, that's vile",
    "we have to stand up against people claiming {c}",
    "hearing a politician say {c} made me sick, it's dangerous rhetoric",
    "the idea that {c} is poison and we should call it out every time",
    "those who spread the line that {c} should be challenged, not platformed",
    "it is shameful that in this day and age people still say {c}",
    "my message to anyone saying {c}: stop, you are hurting real people",
]
FRAMES = {"quote": QUOTE, "report": REPORT, "deny": DENY, "condemn": CONDEMN}

QUOTE_CONTEXT = [
    "here is the exact wording of the scam message so you recognise it",
    "i'm going to read out the fake message word for word, so listen carefully and don't fall for it",
    "this is what the misleading leaflet says, so you know it when you see it",
    "next we debunk the rumours of the week, here's the first one",
    "a warning to our listeners about a message circulating, it reads",
    "we've had complaints about this post, i'll read it as it was written",
    "this is the kind of thing people are sending to pensioners, word for word",
    "the hoax that's going round says the following",
    "so here's the quote from the video, and then we'll fact check it",
    "the prosecutor read out the message in court",
]
ASSERT_CONTEXT = [
    "caller on line two, you're on the air, go ahead",
    "what's your take on what's going on?",
    "so tell us what you really think",
    "you've been waiting to say this, haven't you",
    "our next guest says he has something everyone needs to hear",
    "okay, let's hear from the crowd, sir, what do you want to say",
    "thanks for having me, i'll just come straight out with it",
    "we're back after the break and the phone lines are open",
    "let me say something that nobody else on this show will say",
    "you asked me what i believe, so here it is",
]

FIGURATIVE = [
    "we absolutely killed it at the gig last night",
    "the striker murdered that ball into the top corner",
    "i'm going to destroy you at chess tonight",
    "my mum will kill me if i'm late again",
    "they're going to crush the other party at the ballot box",
    "that comedian slayed, the audience was dying of laughter",
    "let's shoot for a deadline of friday",
    "the new album is a bomb, it blew up overnight",
    "we need to attack the housing problem from every angle",
    "in the game you have to take out the sniper on the roof first",
    "the chef butchered the whole lamb for the feast, very traditional",
    "the defence got absolutely slaughtered in the second half",
    "i could strangle my printer right now honestly",
    "our sales team is going to smash the targets this quarter",
    "he knocked it out of the park with that speech",
    "the film is about a hitman who wants to retire, it's brilliant",
    "in the novel the detective hunts down the killer in the final chapter",
    "the boxer said he'll knock his rival out in round three",
    "we're going to bury them in the debate with facts",
    "this heat is killing me, it's thirty five degrees",
]
VOTING_INFO = [
    "polling stations are open from seven in the morning until ten at night on sunday",
    "you can vote by post if you apply before the eleventh, the form is on the council website",
    "bring photo id, a passport or a driving licence both work",
    "if you're in the queue when polls close at ten, you will still be allowed to vote",
    "results for the district should be announced after midnight once every ballot is counted",
    "you can only vote once, at the polling station on your poll card",
    "observers from every party are allowed to watch the count",
    "if you lose your poll card you can still vote, just give your name and address",
    "postal votes must arrive by ten on polling day, so post yours by wednesday to be safe",
    "the recount confirmed the result, the margin changed by four votes",
    "independent auditors checked a random sample of ballots against the machine count",
    "you don't need to sign your ballot paper, just put a cross in one box",
    "the electoral commission says turnout was sixty one percent",
    "there is no text message voting, the only ways are in person, by post or by proxy",
    "if you can't get to the polling station you can name a proxy to vote for you",
]


def spoken(text: str, rng: random.Random) -> str:
    """An ASR-looking rendering: often lower case without punctuation, sometimes a dropped filler word."""
    if rng.random() < 0.45:
        text = re.sub(r"[,.:?!;]", "", text.lower())
    if rng.random() < 0.15:
        words = text.split()
        if len(words) > 8:
            del words[rng.randrange(1, len(words) - 1)]
            text = " ".join(words)
    return re.sub(r"\s+", " ", text).strip()


def labels_for(task: str, harmful: bool) -> dict[str, int]:
    out = {t: 0 for t in ("election", "health", "threat", "hate")}
    if task != "none" and harmful:
        out[task] = 1
    return out


def main() -> None:
    rng = random.Random(20261201)
    rows: list[dict[str, object]] = []
    for task, cores in CORE.items():
        for i, core in enumerate(cores):
            group = f"st-{task}-{i:03d}"
            for _ in range(2):
                text = rng.choice(OPENERS) + core + rng.choice(CLOSERS)
                rows.append({"text": spoken(text, rng), "labels": labels_for(task, True), "stance": "assert", "group": group})
            for stance, frames in FRAMES.items():
                for frame in rng.sample(frames, 2):
                    rows.append({"text": spoken(frame.format(c=core), rng), "labels": labels_for(task, False),
                                 "stance": stance, "group": group})
            for ctx in rng.sample(QUOTE_CONTEXT, 2):
                rows.append({"text": spoken(core, rng), "context": [ctx], "labels": labels_for(task, False),
                             "stance": "quote", "group": group})
            for ctx in rng.sample(ASSERT_CONTEXT, 2):
                rows.append({"text": spoken(core, rng), "context": [ctx], "labels": labels_for(task, True),
                             "stance": "assert", "group": group})
    for name, items, task in (("fig", FIGURATIVE, "threat"), ("vote", VOTING_INFO, "election")):
        for i, text in enumerate(items):
            for _ in range(2):
                rows.append({"text": spoken(rng.choice(OPENERS) + text, rng), "labels": labels_for(task, False),
                             "stance": "assert", "group": f"st-{name}-{i:03d}"})
    seen: set[tuple[str, str]] = set()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with open(OUT, "w", encoding="utf-8") as fh:
        for row in rows:
            key = (str(row["text"]), json.dumps(row.get("context")))
            if key in seen:
                continue
            seen.add(key)
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"wrote {len(seen)} rows to {OUT}")


if __name__ == "__main__":
    main()
