from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    """Hashed, compressed static files, as collected by `collectstatic`.

    A file that was never collected (the test suite, a developer who has not run
    collectstatic) is linked by its plain name instead of failing the page; whitenoise
    then serves it without the far-future cache headers that only hashed names get.
    """

    manifest_strict = False

    def stored_name(self, name):
        try:
            return super().stored_name(name)
        except ValueError:
            return name
