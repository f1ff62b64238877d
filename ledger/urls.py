from django.urls import path

from ledger.apis import reference, transactions
from ledger.apis.similar import SimilarTransactionsApi

urlpatterns = [
    path("transactions/", transactions.TransactionListApi.as_view(), name="transaction-list"),
    path("transactions/correct/", transactions.TransactionCorrectApi.as_view(), name="transaction-correct"),
    path(
        "transactions/bulk-categorize/",
        transactions.TransactionBulkCategorizeApi.as_view(),
        name="transaction-bulk-categorize",
    ),
    path("transactions/duplicates/", transactions.TransactionDuplicatesApi.as_view(), name="transaction-duplicates"),
    path("transactions/export/", transactions.TransactionExportApi.as_view(), name="transaction-export"),
    path("transactions/<uuid:transaction_id>/", transactions.TransactionDetailApi.as_view(), name="transaction-detail"),
    path(
        "transactions/<uuid:transaction_id>/restore/",
        transactions.TransactionRestoreApi.as_view(),
        name="transaction-restore",
    ),
    path(
        "transactions/<uuid:transaction_id>/suggestions/",
        transactions.TransactionSuggestionsApi.as_view(),
        name="transaction-suggestions",
    ),
    path("transactions/<uuid:transaction_id>/similar/", SimilarTransactionsApi.as_view(), name="transaction-similar"),
    path("categories/", reference.CategoryListApi.as_view(), name="category-list"),
    path("categories/<uuid:category_id>/", reference.CategoryDetailApi.as_view(), name="category-detail"),
    path("accounts/", reference.AccountListApi.as_view(), name="account-list"),
    path("accounts/<uuid:account_id>/", reference.AccountDetailApi.as_view(), name="account-detail"),
]
