"""Signals other apps listen to: merchants never imports the apps that point at it.

`merchant_merging(source_id, into_id)` is sent inside a merge's transaction, before any row
is re-pointed from the source merchant to the one it merges into: a receiver can still tell
which of its rows are about to change merchant."""

from django.dispatch import Signal

merchant_merging = Signal()
