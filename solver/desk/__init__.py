"""The coordinator's desk: messages to patients from the clinic's templates, calendar feeds
and the exception digest for each owner."""

import re
import unicodedata


def ascii_slug(text: str) -> str:
    """Text as lower-case ASCII letters and digits joined by '-' ("Clínica Bella & Spa" ->
    clinica-bella-spa; "" when nothing is left), for file names and calendar ids."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")
