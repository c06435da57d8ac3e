#!/usr/bin/env bash
# Retrain every shipped head into models/ (the commands the model cards record).
# Needs the public data sets (DATA, default ../shared/datasets) and the project-written
# examples in monitor/data/synthetic and monitor/data/spoken. Embeddings are cached in $CCT_EMBED_CACHE (default /tmp).
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${DATA:-../shared/datasets}"
export CCT_DATASETS="${CCT_DATASETS:-$DATA}"  # where corpus:NAME readers look
SYN=monitor/data/synthetic
OUT="${OUT:-models}"
CLI="${CLI:-cct-monitor}"
LABELS="${*:-${LABELS:-claim health hate election threat stance_assert}}"

CLEF="$DATA/clef2019-checkworthiness/train.csv"
FF="$DATA/fullfact-health/in_context_labelled.csv"

# Background negatives: ordinary speech and posts that are not the label, read through the corpus readers so
# that no row of a public test split cct-monitor eval scores (its CLEF-2019 test debates among them) is trained on.
BG_CLEF="corpus:clef2019?name=clef2019-background&label=0&group_col=group&limit=3000"
BG_NEITHER="corpus:davidson?name=davidson-neither-background&label=0&group_col=group&where=tag:neither&limit=1500"
BG_COVID="corpus:constraint-covid?name=constraint-covid-background&label=0&group_col=group&limit=1000"
# Project-written transcript-style examples weigh more: they are what live speech looks like.
W="${SYN_WEIGHT:-5}"
HARD_ALL="$SYN/hard_negatives.jsonl?name=synthetic-hard-negatives&label=0&group_col=group&weight=$W"

# The spoken set (monitor/data/spoken, built by scripts/build_spoken_set.py): each label's own file, and the
# other labels' rows that are safe negatives for it (their hard negatives and benign talk always; their
# positives only where that harm cannot also be this one).
# The shipped election, health and hate heads are trained with it; for threat it is opt-in (SPOKEN_LABELS),
# because its head retrained with it did not beat the shipped one through the rules (models/cards/election.md,
# models/cards/threat.md); the threat head reads only the set's own negatives by default (below).
SP=monitor/data/spoken
SW="${SPOKEN_WEIGHT:-5}"
SPOKEN_LABELS="${SPOKEN_LABELS:-election health hate}"
spoken() {  # spoken LABEL: the --data options (and calibration prior) for LABEL's head
  local own=$1 other pos
  case " $SPOKEN_LABELS " in *" $own "*) ;; *) return 0 ;; esac
  # The spoken set raises the calibration split's share of positives; calibrate to the stream share the
  # previous heads assumed (election 55 of 1121, threat 55 of 1251), so the rules' score cuts keep their meaning.
  case "$own" in election) printf -- '--prior\n0.05\n' ;; threat) printf -- '--prior\n0.045\n' ;; esac
  printf -- '--data\n%s\n' "$SP/$own.jsonl?name=spoken-$own&group_col=group&weight=$SW"
  for other in election threat hate health claim; do
    [ "$other" = "$own" ] && continue
    case "$own:$other" in
      election:health|election:claim|threat:health|threat:claim|hate:health|hate:claim|health:election|health:hate|health:claim) pos=",positive" ;;
      *) pos="" ;;
    esac
    printf -- '--data\n%s\n' "$SP/$other.jsonl?name=spoken-$other-negatives&label=0&group_col=group&where=kind:hard_negative,negative$pos&weight=$SW"
  done
}

for label in $LABELS; do
  mapfile -t SPOKEN < <(spoken "$label")
  case "$label" in
    claim)
      $CLI train --label claim --out "$OUT" \
        --data "$CLEF?name=clef2019&group_col=file_name&context=previous" \
        --data "$FF?name=fullfact-health&text_col=output_text&label_col=summary&positive=worth checking&negative=not worth checking" \
        --data "$SYN/positives.jsonl?name=synthetic-positives&label=1&group_col=group&where=label_name:claim&weight=$W" \
        --data "$SYN/hard_negatives.jsonl?name=synthetic-hard-negatives&label=0&group_col=group&where=label_name:claim,threat&weight=$W" ;;
    health)
      # Public corpora through their registered readers (corpus:NAME), which leave out the public test split
      # cct-monitor eval scores (the previous command read CONSTRAINT's and Full Fact's files whole, so the
      # head had trained on most of its own test rows): CONSTRAINT COVID posts, CoAID (research only) and Full
      # Fact health claims. COVID posts are capped so the conversational project-written positives and hard
      # negatives (debunks, correct advice) are not drowned out; they weigh 3x the default project weight.
      # The caps keep every CONSTRAINT row the reader gives (limit=3000 per class) and 2000 CoAID negatives
      # (all 679 positives): the suite's health recall and false alarms and the debate firings stayed as they
      # were while CoAID and CONSTRAINT rose (models/cards/health.md). --lexical with --lexical-chars 2,5
      # hashes word 1-3-grams and in-word character 2-5-grams (hashtags, spellings, outlet names: what marks a
      # kind of post) into 2**18 columns; alone that LR loses to the MLP, so --blend adds the two scores, the
      # mix picked on the calibration split (models/cards/health.md).
      # --prior 0.202: the previous head's calibration share of positives, so the rules' cuts keep their meaning.
      $CLI train --label health --out "$OUT" --prior 0.202 --lexical --lexical-features 262144 --lexical-chars 2,5 --blend \
        --data "corpus:constraint-covid?name=constraint-covid&label_col=health&group_col=group&limit=3000" \
        --data "corpus:coaid?name=coaid&label_col=health&group_col=group&limit=2000" \
        --data "corpus:fullfact-health?name=fullfact-health&label_col=health&group_col=group&weight=3" \
        --data "$SYN/positives.jsonl?name=synthetic-positives&label=1&group_col=group&where=label_name:health&weight=$((3 * W))" \
        --data "$SYN/hard_negatives.jsonl?name=synthetic-hard-negatives&label=0&group_col=group&weight=$((3 * W))" \
        --data "$BG_CLEF" --data "$BG_NEITHER" "${SPOKEN[@]}" ;;
    hate)
      # Public corpora through their registered readers (corpus:NAME, monitor/classify/corpora.py), which
      # leave out the public test split cct-monitor eval scores: ToxiGen's hateful vs neutral statements about
      # groups, CONAN's hate statements and the counter-narratives answering them (hard negatives), Reddit
      # neutral and counter-hate replies (Yu et al. 2022), Davidson's hate vs offensive / neither tweets.
      # ToxiGen weighs 4x: its neutral statements are the lawful talk about groups the rules must let through.
      # Public corpora and the spoken set raise the calibration split's share of positives; --prior 0.115
      # calibrates to the share the previous head assumed (227 of 1968), so the rules' score cuts keep their meaning.
      HX="label_col=hate&group_col=group"
      $CLI train --label hate --out "$OUT" --lexical --prior 0.115 \
        --data "corpus:davidson?name=davidson&$HX&limit=3000" \
        --data "corpus:toxigen-seed?name=toxigen-seed&$HX&weight=4" \
        --data "corpus:conan?name=conan&$HX&limit=1000" \
        --data "corpus:yu2022-reddit?name=yu2022-reddit&$HX&limit=1500" \
        --data "$SYN/positives.jsonl?name=synthetic-positives&label=1&group_col=group&where=label_name:hate&weight=$W" \
        --data "$HARD_ALL" --data "$BG_CLEF" --data "$BG_COVID" "${SPOKEN[@]}" ;;
    election)
      # The shipped head (2 Dec 2026): the rules' election cuts kept their meaning (models/cards/election.md).
      $CLI train --label election --out "$OUT" \
        --data "$SYN/election.jsonl?name=synthetic-election&group_col=group&weight=$W" \
        --data "$HARD_ALL" --data "$BG_CLEF" --data "$BG_NEITHER" --data "$BG_COVID" "${SPOKEN[@]}" ;;
    threat)
      # Not the shipped head: that one is still what its card's command trained (the background files read by
      # path; KNOWN_DEBT in tests/unit/test_heads_training_data.py). This is the reader-only retrain that came
      # closest (R3 in models/cards/threat.md): every inline rule test passes, but int8 and fp32 decisions
      # differ on suite lines at the rules' upper cut and it reads debate speech as more threat-like.
      # Every line of the election set is a conversational non-threat (its threats are in threat.jsonl).
      # Unless threat is in SPOKEN_LABELS, the spoken threat set's hard negatives and benign talk (banter,
      # figurative violence, history, heated but lawful protest) are negatives too, without its positives:
      # without them the head scored the inline banter test ("i'm going to kill him when he gets home") 0.90,
      # at threat-to-life's banter cut. --prior 0.044: the calibration share of positives the shipped head had
      # (55 of 1251), which the extra negatives would lower. --calibration platt: the rules read this score at
      # four cuts, and isotonic (the lower cross-fitted Brier by 0.0003 without the spoken negatives) is a step
      # function of a dozen levels on 55 calibration positives that tied whole groups of lines at one value.
      OWN_NEG=()
      case " $SPOKEN_LABELS " in *" threat "*) ;; *) OWN_NEG=(--prior 0.044 --data
        "$SP/threat.jsonl?name=spoken-threat-negatives&label=0&group_col=group&where=kind:hard_negative,negative&weight=$SW") ;; esac
      $CLI train --label threat --out "$OUT" --calibration platt \
        --data "$SYN/threat.jsonl?name=synthetic-threat&group_col=group&weight=$W" \
        --data "$SYN/election.jsonl?name=synthetic-election-negatives&label=0&group_col=group&weight=$W" \
        --data "$HARD_ALL" --data "$BG_CLEF" --data "$BG_NEITHER" --data "$BG_COVID" "${OWN_NEG[@]}" "${SPOKEN[@]}" ;;
    stance_assert)
      # The speaker asserts (1) or quotes, reports, denies or condemns (0): every spoken row with a stance,
      # and the project-written stance pairs held out from the suite (stance_pairs.jsonl, built by
      # scripts/build_spoken_set.py from monitor/data/synthetic/stance.jsonl), and stance.jsonl: assertions on
      # any topic (bare short claims, first-person testimony, instructions, insinuating questions) against
      # the same kind of claims quoted, reported, denied, debunked, condemned or mocked. Rules read it as a guard.
      ST="label_col=stance&positive=assert&negative=quote,report,deny,condemn&group_col=group"
      # --lexical: hashed word n-grams beside the embedding, read from the text (no second encoder pass).
      $CLI train --label stance_assert --out "$OUT" --no-int8 --lexical \
        --data "$SP/stance_pairs.jsonl?name=spoken-stance-pairs&$ST" \
        --data "$SP/stance.jsonl?name=spoken-stance&$ST" \
        $(for l in election threat hate health claim; do printf -- '--data %s ' "$SP/$l.jsonl?name=spoken-$l-stance&$ST"; done) ;;
    *) echo "unknown label $label" >&2; exit 2 ;;
  esac
done
