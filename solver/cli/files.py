"""The files a command writes: reserved before any work, put in place together when it succeeds.

A command's outputs (``--latex``, ``--plot``, ``--out``, ``--tikz``) are each
checked and *reserved* before the work starts: a temporary file is created in
the output's directory, which proves that it can be written there (a check of
permissions alone is not: ``/proc`` looks writable to root). The command
writes into the temporary files; when it succeeds, :meth:`Outputs.commit`
moves every one into place; when it fails, :meth:`Outputs.discard` removes
them, and nothing is left behind.

Examples
--------
>>> import os, tempfile
>>> folder = tempfile.mkdtemp()
>>> outputs = Outputs()
>>> path = os.path.join(folder, "table.tex")
>>> temporary = outputs.reserve(path)
>>> outputs.write(path, "text")
>>> os.listdir(folder) == [os.path.basename(temporary)], os.path.exists(path)
(True, False)
>>> outputs.commit()
>>> os.listdir(folder), open(path).read()
(['table.tex'], 'text')
>>> Outputs().reserve(path)
Traceback (most recent call last):
...
largen.diagrams.errors.ParameterError: ... exists: overwrite it with force=True
"""

import os
import secrets

from largen.diagrams.errors import ParameterError, UsageError
from largen.solver.numerics.grid import check_output

__all__ = ["Outputs", "PLOT_FORMATS"]

PLOT_FORMATS = (".pdf", ".png", ".svg", ".eps")  # what a figure is written as, by its extension


class Outputs:
    """The output files of one command: path -> its reserved temporary file."""

    def __init__(self):
        self._reserved = {}

    def reserve(self, path, *, force=False, formats=None):
        """Check ``path`` and reserve a temporary file beside it; returns the temporary file's path.

        The temporary file has the extension of ``path`` (a figure's format follows it).

        Raises
        ------
        ParameterError
            An empty path, a directory, an existing file without ``force``, an
            extension not among ``formats``, or a directory that cannot be written.
        """
        check_output(path, force=force)
        text = os.fspath(path)
        if formats and not text.lower().endswith(formats):
            raise ParameterError(f"cannot write {text}: the format is given by its extension, one of "
                                 f"{', '.join(formats)}")
        if text in self._reserved:
            raise UsageError(f"{text} is given as two outputs")
        folder, name = os.path.split(os.path.abspath(text))
        stem, extension = os.path.splitext(name)
        temporary = os.path.join(folder, f".{stem}.{secrets.token_hex(4)}.part{extension}")
        try:
            open(temporary, "x").close()  # created with the permissions the final file gets
        except OSError as exc:
            raise ParameterError(f"cannot write {text}: {exc.strerror}") from None
        self._reserved[text] = temporary
        return temporary

    def write(self, path, text):
        """Write ``text`` into the temporary file of the reserved ``path``."""
        with open(self._reserved[os.fspath(path)], "w", encoding="utf-8") as handle:
            handle.write(text)

    def commit(self):
        """Move every temporary file into place."""
        for path, temporary in self._reserved.items():
            os.replace(temporary, path)
        self._reserved.clear()

    def discard(self):
        """Remove every temporary file: the command wrote nothing."""
        for temporary in self._reserved.values():
            try:
                os.remove(temporary)
            except FileNotFoundError:
                pass
        self._reserved.clear()
