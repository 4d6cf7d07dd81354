#!/usr/bin/env bash
# Extracts every translatable message of the English book into
# book/po/messages.pot, or into DIR/messages.pot with `extract.sh DIR` (see
# book/po/README.md). Run from anywhere.
#
# The default preprocessors are off, so `{{#include}}`d lesson code and
# outputs are not extracted: code is never translated. Fences and display
# math in the chapters are marked `<!-- i18n:skip -->` for the same reason.
set -euo pipefail
cd "$(dirname "$0")/../.."
MDBOOK_BUILD__USE_DEFAULT_PREPROCESSORS=false \
MDBOOK_PREPROCESSOR__GETTEXT__AFTER='[]' \
MDBOOK_OUTPUT='{"xgettext": {"pot-file": "messages.pot", "granularity": 0}}' \
  mdbook build book -d "${1:-book/po}"
