"""Number and date formats where the site's readers differ from Django's (FORMAT_MODULE_PATH)."""
