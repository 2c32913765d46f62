"""The exceptions `kg` raises; the CLI turns each into a message with a hint."""


class KgError(Exception):
    """Base class of every error `kg` raises on purpose."""


class NoInputError(KgError):
    """None of the given paths holds a file `kg` can read."""


class NoGraphError(KgError):
    """The output folder holds no built graph yet: run `kg build` first."""


class QueryError(KgError):
    """A SPARQL query could not be parsed or evaluated."""


class StoreError(KgError):
    """A remote triple store could not be reached or refused the data."""


class BuildProcessError(KgError):
    """The process that builds the graph ended without an answer (killed, out of memory)."""


class ClusterError(KgError):
    """The Dask cluster could not be reached or could not run the build."""
