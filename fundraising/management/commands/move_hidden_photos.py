from django.core.management.base import BaseCommand

from fundraising import photos
from fundraising.models import FundraisingPage


class Command(BaseCommand):
    help = (
        "Moves the photo of every fundraising page that is off the site to a new address, "
        "where a move failed before or the page was hidden before photos moved. Safe to "
        "run at any time: a photo that has moved is left alone."
    )

    def handle(self, *args, **options):
        waiting = list(
            FundraisingPage.objects.filter(photo_shown=True)
            .exclude(photo="")
            .exclude(status=FundraisingPage.Status.APPROVED)
            .values_list("pk", flat=True)
        )
        moved = sum(photos.move_out_of_sight(page_id) for page_id in waiting)
        self.stdout.write(f"Moved {moved} photo(s).")
        if moved < len(waiting):
            self.stderr.write(
                f"{len(waiting) - moved} photo(s) could not be moved; the log says why."
            )
