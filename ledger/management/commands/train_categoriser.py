"""manage.py train_categoriser --global [--nsi PATH] [--mcc DIR] [--output DIR]
manage.py train_categoriser --user EMAIL|--all-users

--global builds the global text model from the corpus (categoriser/corpus.py) and writes the
versioned artefact (ledger/categoriser/artefacts/global-<version>.joblib and CURRENT). The same
source files give the same version: the corpus order, the seeds and the library are fixed.
--user / --all-users retrain personal models now (the task does the same in the background)."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from ledger.categoriser.corpus import CorpusSources, build_corpus
from ledger.categoriser.model import ARTEFACT_DIR, save_global, train_global
from ledger.categoriser.personal import personal_model_retrain, users_with_new_corrections


class Command(BaseCommand):
    help = "Build the categoriser's global artefact, or retrain personal models."

    def add_arguments(self, parser):
        parser.add_argument("--global", dest="build_global", action="store_true", help="Build the global artefact.")
        parser.add_argument("--nsi", type=Path, help="brands.csv of the name-suggestion-index corpus.")
        parser.add_argument("--mcc", type=Path, help="Directory of the MCC lists.")
        parser.add_argument("--output", type=Path, default=ARTEFACT_DIR)
        parser.add_argument("--user", help="Retrain this user's personal model (email).")
        parser.add_argument("--all-users", action="store_true", help="Retrain every user with new corrections.")

    def handle(self, *args, **options):
        if options["build_global"]:
            self._build_global(options)
        elif options["user"]:
            user = get_user_model().objects.filter(email=options["user"]).first()
            if user is None:
                raise CommandError(f"No user {options['user']!r}.")
            stored = personal_model_retrain(user_id=user.pk)
            self.stdout.write(f"personal model: {stored.examples if stored else 0} examples")
        elif options["all_users"]:
            users = users_with_new_corrections()
            for user_id in users:
                personal_model_retrain(user_id=user_id)
            self.stdout.write(f"retrained {len(users)} personal models")
        else:
            raise CommandError("Give --global, --user EMAIL or --all-users.")

    def _build_global(self, options) -> None:
        sources = CorpusSources.default()
        if options["nsi"]:
            sources = CorpusSources(seed=sources.seed, nsi=options["nsi"], mcc_dir=sources.mcc_dir, categories=sources.categories)
        if options["mcc"]:
            sources = CorpusSources(seed=sources.seed, nsi=sources.nsi, mcc_dir=options["mcc"], categories=sources.categories)
        texts, labels, counts = build_corpus(sources)
        self.stdout.write(f"corpus: {len(texts)} names ({', '.join(f'{k} {v}' for k, v in counts.items())})")
        model = train_global(texts, labels, counts=counts)
        path = save_global(model, options["output"])
        self.stdout.write(f"artefact {model.version}: {path} ({path.stat().st_size / 1e6:.1f} MB)")
