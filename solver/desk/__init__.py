"""The coordinator's desk: messages to patients from the clinic's templates, calendar feeds
and the exception digest for each owner."""
