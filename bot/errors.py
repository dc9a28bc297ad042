"""Errors the core raises; adapters turn them into friendly replies."""


class StoreUnavailableError(Exception):
    """The database cannot be reached right now; the user should try again shortly."""


class DuplicateDeliveryError(Exception):
    """A platform delivery id was already recorded: the retry must record nothing."""


class CommandLineError(Exception):
    """A command-line operation refused with a plain-words reason (e.g. a bad backup file)."""
