import factory

from merchants.models import Merchant, MerchantAlias
from merchants.normalisation import normalise_descriptor


class MerchantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Merchant

    canonical_name = factory.Sequence(lambda n: f"Testmerchant Qx{n:04d}")
    category = "shopping"
    country = "US"


class MerchantAliasFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MerchantAlias

    merchant = factory.SubFactory(MerchantFactory)
    alias = factory.Sequence(lambda n: f"TESTALIAS QX{n:04d}")
    normalised = factory.LazyAttribute(lambda alias: normalise_descriptor(alias.alias))


def merchant_with_aliases(name: str, *aliases: str, category: str = "shopping", country: str = "US") -> Merchant:
    """A merchant written the way services write it, the index version bumped."""
    from merchants.index import bump_index_version

    merchant = MerchantFactory(canonical_name=name, category=category, country=country)
    for alias in aliases:
        MerchantAliasFactory(merchant=merchant, alias=alias)
    bump_index_version()
    return merchant
