#!/usr/bin/env bash
# Retrain every shipped head into models/ (the commands the model cards record).
# Needs the public data sets (DATA, default ../shared/datasets) and the project-written
# examples in monitor/data/synthetic. Embeddings are cached in $CCT_EMBED_CACHE (default /tmp).
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${DATA:-../shared/datasets}"
SYN=monitor/data/synthetic
OUT="${OUT:-models}"
CLI="${CLI:-cct-monitor}"
LABELS="${*:-claim health hate election threat}"

CLEF="$DATA/clef2019-checkworthiness/train.csv"
FF="$DATA/fullfact-health/in_context_labelled.csv"
COVID="$DATA/constraint-covid/train.csv"
DAV="$DATA/davidson-hate-offensive/labeled_data.csv"

# Background negatives: ordinary speech and posts that are not the label.
BG_CLEF="$CLEF?name=clef2019-background&label=0&group_col=file_name&limit=3000"
BG_NEITHER="$DAV?name=davidson-neither-background&text_col=tweet&label_col=class&positive=none&negative=2&limit=1500"
BG_COVID="$COVID?name=constraint-covid-background&text_col=tweet&label=0&limit=1000"
# Project-written transcript-style examples weigh more: they are what live speech looks like.
W="${SYN_WEIGHT:-5}"
HARD_ALL="$SYN/hard_negatives.jsonl?name=synthetic-hard-negatives&label=0&group_col=group&weight=$W"

for label in $LABELS; do
  case "$label" in
    claim)
      $CLI train --label claim --out "$OUT" \
        --data "$CLEF?name=clef2019&group_col=file_name&context=previous" \
        --data "$FF?name=fullfact-health&text_col=output_text&label_col=summary&positive=worth checking&negative=not worth checking" \
        --data "$SYN/positives.jsonl?name=synthetic-positives&label=1&group_col=group&where=label_name:claim&weight=$W" \
        --data "$SYN/hard_negatives.jsonl?name=synthetic-hard-negatives&label=0&group_col=group&where=label_name:claim,threat&weight=$W" ;;
    health)
      # COVID posts are capped so the conversational project-written positives and hard negatives
      # (debunks, correct advice) are not drowned out; they weigh 3x the default project weight.
      $CLI train --label health --out "$OUT" \
        --data "$COVID?name=constraint-covid&text_col=tweet&label_col=label&positive=fake&limit=2000" \
        --data "$FF?name=fullfact-health&text_col=output_text&label_col=harm&positive=some harm,indirect harm,high harm&negative=harmless&weight=3" \
        --data "$SYN/positives.jsonl?name=synthetic-positives&label=1&group_col=group&where=label_name:health&weight=$((3 * W))" \
        --data "$SYN/hard_negatives.jsonl?name=synthetic-hard-negatives&label=0&group_col=group&weight=$((3 * W))" \
        --data "$BG_CLEF" --data "$BG_NEITHER" ;;
    hate)
      $CLI train --label hate --out "$OUT" \
        --data "$DAV?name=davidson-hate-vs-offensive&text_col=tweet&label_col=class&positive=0&negative=1&limit=4000" \
        --data "$DAV?name=davidson-neither&text_col=tweet&label_col=class&positive=none&negative=2&limit=2500" \
        --data "$SYN/positives.jsonl?name=synthetic-positives&label=1&group_col=group&where=label_name:hate&weight=$W" \
        --data "$HARD_ALL" --data "$BG_CLEF" --data "$BG_COVID" ;;
    election)
      $CLI train --label election --out "$OUT" \
        --data "$SYN/election.jsonl?name=synthetic-election&group_col=group&weight=$W" \
        --data "$HARD_ALL" --data "$BG_CLEF" --data "$BG_NEITHER" --data "$BG_COVID" ;;
    threat)
      # Every line of the election set is a conversational non-threat (its threats are in threat.jsonl).
      $CLI train --label threat --out "$OUT" \
        --data "$SYN/threat.jsonl?name=synthetic-threat&group_col=group&weight=$W" \
        --data "$SYN/election.jsonl?name=synthetic-election-negatives&label=0&group_col=group&weight=$W" \
        --data "$HARD_ALL" --data "$BG_CLEF" --data "$BG_NEITHER" --data "$BG_COVID" ;;
    *) echo "unknown label $label" >&2; exit 2 ;;
  esac
done
