"""Production static files storage: hashed names (long cache lifetimes), without source maps.

The image ships no `.map` files (they were half of the collected size), so the storage must
not rewrite, and thereby require, `sourceMappingURL` comments. A browser that asks for a map
gets a 404, which only matters with developer tools open."""

from django.contrib.staticfiles.storage import ManifestStaticFilesStorage


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
