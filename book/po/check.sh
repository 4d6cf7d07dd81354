#!/usr/bin/env bash
# Fails when the Korean translation is behind the English book: a message of
# the English with no Korean, a fuzzy (unchecked) translation, or a
# book/po/messages.pot that is not what the English extracts to today.
# Run from anywhere; needs mdbook, mdbook-i18n-helpers and gettext.
set -euo pipefail
cd "$(dirname "$0")/../.."

fresh=$(mktemp -d)
trap 'rm -rf "$fresh"' EXIT
bash book/po/extract.sh "$fresh" >/dev/null 2>&1

status=0
# The committed template is today's English (the creation date aside).
if ! diff -q <(grep -v '^"POT-Creation-Date' book/po/messages.pot) \
             <(grep -v '^"POT-Creation-Date' "$fresh/messages.pot") >/dev/null; then
  echo "book/po/messages.pot is stale: run book/po/update.sh and translate what it marks" >&2
  status=1
fi

# Every English message has a Korean translation that is not fuzzy.
msgmerge --quiet --no-fuzzy-matching book/po/ko.po "$fresh/messages.pot" -o "$fresh/merged.po"
untranslated=$(msgattrib --untranslated --no-obsolete "$fresh/merged.po" | grep -c '^msgid ' || true)
fuzzy=$(msgattrib --only-fuzzy --no-obsolete book/po/ko.po | grep -c '^msgid ' || true)
# msgattrib prints the header entry too when it prints anything.
[ "$untranslated" -gt 0 ] && untranslated=$((untranslated - 1))
[ "$fuzzy" -gt 0 ] && fuzzy=$((fuzzy - 1))
total=$(grep -c '^msgid ' "$fresh/messages.pot")
total=$((total - 1))
echo "book/po/ko.po: $((total - untranslated)) of $total messages translated, $untranslated untranslated, $fuzzy fuzzy"
if [ "$untranslated" -gt 0 ] || [ "$fuzzy" -gt 0 ]; then
  msgattrib --untranslated --no-obsolete "$fresh/merged.po" | grep -A3 '^#:' | head -40 >&2 || true
  msgattrib --only-fuzzy --no-obsolete book/po/ko.po | grep -A3 '^#:' | head -40 >&2 || true
  echo "translate these in book/po/ko.po (see book/po/README.md)" >&2
  status=1
fi
msgfmt --check --output-file=/dev/null book/po/ko.po
exit $status
