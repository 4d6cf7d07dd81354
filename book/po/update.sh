#!/usr/bin/env bash
# After a change to the English book: extract book/po/messages.pot again and
# merge it into book/po/ko.po. New messages arrive untranslated, changed ones
# as fuzzy (with the old translation as a starting point); translate them,
# remove the fuzzy flag, and book/po/check.sh passes again.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash book/po/extract.sh >/dev/null 2>&1
msgmerge --quiet --update --backup=none book/po/ko.po book/po/messages.pot
bash book/po/check.sh || true
