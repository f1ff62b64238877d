import factory
from django.contrib.auth.hashers import make_password

from accounts.models import User, default_preferences

DEFAULT_PASSWORD = "correct-horse-battery-9"
# Hashing with Argon2 once, not once per user, keeps the suite fast.
_DEFAULT_PASSWORD_HASH = make_password(DEFAULT_PASSWORD)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Faker("name")
    password = _DEFAULT_PASSWORD_HASH
    preferences = factory.LazyFunction(default_preferences)
    is_verified = True
