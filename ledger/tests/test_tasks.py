"""ledger.tasks: the nightly check of the corrections' references (decision 0004)."""

import logging

import pytest
from django.db import connection

from ledger import services
from ledger.models import UserCorrection
from ledger.tasks import scheduled_check_correction_references
from ledger.tests.factories import CategoryFactory, TransactionFactory

pytestmark = pytest.mark.django_db


def test_it_finds_nothing_when_every_deletion_went_through_the_orm(user, caplog):
    row = TransactionFactory(user=user)
    own = CategoryFactory(user=user, slug="side_hustle")
    services.transaction_correct(user=user, transaction_id=row.pk, new_category="side_hustle")
    services.transaction_correct(user=user, transaction_id=row.pk, new_category="dining")
    services.category_delete(user=user, category_id=own.pk)  # old_category of the second: nulled
    assert UserCorrection.objects.count() == 1  # the first went with its category (CASCADE)
    with caplog.at_level(logging.ERROR, logger="ledger.tasks"):
        found = scheduled_check_correction_references()
    assert found == {"counts": {"transaction": 0, "new_category": 0, "old_category": 0}, "examples": {}}
    assert caplog.records == []


def test_it_reports_a_correction_whose_transaction_was_deleted_behind_the_orms_back(user, caplog):
    row = TransactionFactory(user=user)
    services.transaction_correct(user=user, transaction_id=row.pk, new_category="dining")
    correction = UserCorrection.objects.get()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM ledger_transaction WHERE id = %s", [row.pk.hex if connection.vendor == "sqlite" else row.pk])
    with caplog.at_level(logging.ERROR, logger="ledger.tasks"):
        found = scheduled_check_correction_references()
        assert scheduled_check_correction_references() == found  # read-only: twice is the same
    assert found["counts"] == {"transaction": 1, "new_category": 0, "old_category": 0}
    assert found["examples"] == {"transaction": [str(correction.pk)]}
    assert "corrections with missing references" in caplog.records[0].getMessage()
