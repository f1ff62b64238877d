"""Production static files storage: hashed names (long cache lifetimes), without source maps.

Invariant: a page never fails because static files were not collected. With a manifest
(`make static`, which `make serve` runs, and the image build) pages link the hashed names;
for a name the manifest lacks (collectstatic never ran, or ran before an upgrade) the page
links the plain name, which WhiteNoise serves from the apps' static directories
(WHITENOISE_USE_FINDERS), and a warning says to collect.

The image ships no `.map` files (they were half of the collected size), so the storage must
not rewrite, and thereby require, `sourceMappingURL` comments."""

import logging

from django.contrib.staticfiles.storage import ManifestStaticFilesStorage

logger = logging.getLogger(__name__)


def _without_source_maps(patterns: tuple) -> tuple:
    kept = []
    for extension, entries in patterns:
        entries = tuple(
            entry for entry in entries if "sourceMappingURL" not in (entry[0] if isinstance(entry, tuple) else entry)
        )
        if entries:
            kept.append((extension, entries))
    return tuple(kept)


class StaticFilesStorage(ManifestStaticFilesStorage):
    patterns = _without_source_maps(ManifestStaticFilesStorage.patterns)
    keep_intermediate_files = False

    def stored_name(self, name):
        try:
            return super().stored_name(name)
        except ValueError:
            logger.warning("static file %s is not collected (run `make static`); linking its plain name", name)
            return name
