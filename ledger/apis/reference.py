"""Reference data API: categories (system + the user's own) and financial accounts."""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.openapi import error_responses
from ledger import selectors, services
from ledger.apis.serializers import (
    AccountCreateInput,
    AccountOutput,
    AccountUpdateInput,
    CategoryCreateInput,
    CategoryOutput,
    CategoryUpdateInput,
)

CATEGORY_TAGS = ["categories"]
ACCOUNT_TAGS = ["accounts"]
CATEGORY_EXAMPLE = {"id": "3f2e1d0c-9b8a-4e7d-8c6b-5a4f3e2d1c0b", "slug": "coffee", "name": "Coffee", "parent": "dining", "is_system": True}
ACCOUNT_EXAMPLE = {
    "id": "0b7e9c2a-1d4f-4e8b-9a6c-3f2e1d0c9b8a", "name": "Everyday", "kind": "checking",
    "currency": "USD", "institution": "First Bank", "last4": "4321",
}


class CategoryListApi(APIView):
    @extend_schema(
        tags=CATEGORY_TAGS, operation_id="categories_list", summary="System categories and your own",
        responses={200: CategoryOutput(many=True), **error_responses(401)},
        examples=[OpenApiExample("categories", value=[CATEGORY_EXAMPLE], response_only=True)],
    )
    def get(self, request):
        return Response(CategoryOutput(selectors.category_list(user=request.user), many=True).data)

    @extend_schema(
        tags=CATEGORY_TAGS, operation_id="categories_create", summary="Add your own category",
        description="Slugs are unique per user and may not reuse a system slug (409).",
        request=CategoryCreateInput,
        responses={201: CategoryOutput, **error_responses(400, 401, 409)},
        examples=[OpenApiExample("create", value={"name": "Board games", "parent": "entertainment"}, request_only=True)],
    )
    def post(self, request):
        data = CategoryCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        category = services.category_create(user=request.user, **data.validated_data)
        category = selectors.category_get(user=request.user, category_id=category.pk)
        return Response(CategoryOutput(category).data, status=status.HTTP_201_CREATED)


class CategoryDetailApi(APIView):
    @extend_schema(
        tags=CATEGORY_TAGS, operation_id="categories_retrieve", summary="One category",
        responses={200: CategoryOutput, **error_responses(401, 404)},
    )
    def get(self, request, category_id):
        return Response(CategoryOutput(selectors.category_get(user=request.user, category_id=category_id)).data)

    @extend_schema(
        tags=CATEGORY_TAGS, operation_id="categories_partial_update", summary="Rename or move your category",
        description="System categories cannot be changed (403).",
        request=CategoryUpdateInput,
        responses={200: CategoryOutput, **error_responses(400, 401, 403, 404)},
        examples=[OpenApiExample("rename", value={"name": "Tabletop games"}, request_only=True)],
    )
    def patch(self, request, category_id):
        data = CategoryUpdateInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        services.category_update(user=request.user, category_id=category_id, **data.validated_data)
        return Response(CategoryOutput(selectors.category_get(user=request.user, category_id=category_id)).data)

    @extend_schema(
        tags=CATEGORY_TAGS, operation_id="categories_destroy", summary="Delete your category",
        description="Its transactions move to `uncategorized`. System categories cannot be deleted (403).",
        responses={204: None, **error_responses(401, 403, 404)},
    )
    def delete(self, request, category_id):
        services.category_delete(user=request.user, category_id=category_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AccountListApi(APIView):
    @extend_schema(
        tags=ACCOUNT_TAGS, operation_id="accounts_list", summary="Your financial accounts",
        responses={200: AccountOutput(many=True), **error_responses(401)},
        examples=[OpenApiExample("accounts", value=[ACCOUNT_EXAMPLE], response_only=True)],
    )
    def get(self, request):
        return Response(AccountOutput(selectors.account_list(user=request.user), many=True).data)

    @extend_schema(
        tags=ACCOUNT_TAGS, operation_id="accounts_create", summary="Add a financial account",
        description="`currency` defaults to your base currency.",
        request=AccountCreateInput,
        responses={201: AccountOutput, **error_responses(400, 401)},
        examples=[
            OpenApiExample(
                "create", request_only=True,
                value={"name": "Everyday", "kind": "checking", "currency": "USD", "institution": "First Bank", "last4": "4321"},
            )
        ],
    )
    def post(self, request):
        data = AccountCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        account = services.account_create(user=request.user, **data.validated_data)
        return Response(AccountOutput(account).data, status=status.HTTP_201_CREATED)


class AccountDetailApi(APIView):
    @extend_schema(
        tags=ACCOUNT_TAGS, operation_id="accounts_retrieve", summary="One financial account",
        responses={200: AccountOutput, **error_responses(401, 404)},
    )
    def get(self, request, account_id):
        return Response(AccountOutput(selectors.account_get(user=request.user, account_id=account_id)).data)

    @extend_schema(
        tags=ACCOUNT_TAGS, operation_id="accounts_partial_update", summary="Change a financial account",
        request=AccountUpdateInput,
        responses={200: AccountOutput, **error_responses(400, 401, 404)},
        examples=[OpenApiExample("rename", value={"name": "Joint"}, request_only=True)],
    )
    def patch(self, request, account_id):
        data = AccountUpdateInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        account = services.account_update(user=request.user, account_id=account_id, data=data.validated_data)
        return Response(AccountOutput(account).data)

    @extend_schema(
        tags=ACCOUNT_TAGS, operation_id="accounts_destroy", summary="Delete a financial account",
        description="409 while it still has transactions.",
        responses={204: None, **error_responses(401, 404, 409)},
    )
    def delete(self, request, account_id):
        services.account_delete(user=request.user, account_id=account_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
