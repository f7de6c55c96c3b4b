#!/usr/bin/env bash
# Voice the sample interviews in samples/*.txt into two-speaker WAV files with espeak-ng + sox,
# so the README walkthrough runs on audio the project generates itself (no download, no licence).
#   scripts/make_sample.sh OUT_DIR
set -euo pipefail
out="${1:-out/sample}"
cd "$(dirname "$0")/.."
command -v espeak-ng >/dev/null && command -v sox >/dev/null || {
  echo "make_sample: needs espeak-ng and sox (apt-get install espeak-ng sox)" >&2; exit 1; }
mkdir -p "$out"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for script in samples/interview-*.txt; do
  name=$(basename "$script" .txt)
  n=0; parts=()
  while IFS= read -r line; do
    [ -z "$line" ] && continue
    speaker=${line%%:*}; text=${line#*: }
    if [ "$speaker" = "Interviewer" ]; then voice="en-us+f3"; pitch=60; else voice="en+m3"; pitch=38; fi
    n=$((n + 1)); f=$(printf '%s/%03d.wav' "$tmp" "$n")
    espeak-ng -v "$voice" -s 165 -p "$pitch" -w "$f" "$text"
    sox "$f" -r 16000 -c 1 "$f.pad.wav" pad 0 0.7
    parts+=("$f.pad.wav")
  done < "$script"
  sox "${parts[@]}" "$out/$name.wav"
  rm -f "$tmp"/*.wav
  echo "wrote $out/$name.wav"
done
