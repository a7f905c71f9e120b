"""Search keys: names folded so that `muller` finds `Müller`, `nunez` finds `Núñez`.

The lists search a folded copy of a name (kept beside it, indexed) with the folded
search text, so the rule is Python's and the same on SQLite and PostgreSQL; neither
database needs an extension (unaccent) or a collation for it.
"""

import unicodedata

from django.db import models

# Letters Unicode does not split into a base letter and an accent.
_WHOLE_LETTERS = str.maketrans(
    {"ø": "o", "đ": "d", "ð": "d", "ł": "l", "ħ": "h", "\u0131": "i", "æ": "ae", "œ": "oe", "þ": "th"}
)
# A folded copy may be longer than its name (ß → ss, a ligature → its letters).
FOLDED_LENGTH = 255


def fold(text: str) -> str:
    """Lower case (case-folded: ß is ss), accents dropped, a few whole letters spelled out."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return bare.translate(_WHOLE_LETTERS)[:FOLDED_LENGTH]


def folded_field() -> models.CharField:
    return models.CharField(max_length=FOLDED_LENGTH, blank=True, editable=False, db_index=True)


class FoldedQuerySet(models.QuerySet):
    """`bulk_create` and `update` fill the folded copies too (an import, the benchmarks' seeding)."""

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for obj in objs:
            obj.refold()
        return super().bulk_create(objs, *args, **kwargs)

    def update(self, **kwargs):
        for copy, source in self.model.FOLDED.items():
            if isinstance(kwargs.get(source), str):
                kwargs[copy] = fold(kwargs[source])
        return super().update(**kwargs)


class FoldedSearch(models.Model):
    """A model with `FOLDED = {"name_folded": "name"}` keeps each copy in step on every save.

    A copy for searching, not a business rule: no writer has to remember it.
    """

    FOLDED: dict[str, str] = {}

    objects = FoldedQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, update_fields=None, **kwargs):
        self.refold()
        if update_fields is not None:
            update_fields = {*update_fields, *(c for c, s in self.FOLDED.items() if s in update_fields)}
        super().save(*args, update_fields=update_fields, **kwargs)

    def refold(self) -> None:
        for copy, source in self.FOLDED.items():
            setattr(self, copy, fold(getattr(self, source) or ""))
