"""Reports from result files (``conformance-result/1`` and ``/2`` JSON lines).

- ``schemas``: the record schemas (JSON Schema, per version and kind) lines are validated with;
- ``load``: read any set of result files or directories, streamed (headers, cells, footers,
  each run's completeness; bad lines skipped, counted and listed);
- ``model``: the matrix of property areas and subjects x (framework, version, device);
- ``catalog``: the frameworks of the results (names and versions from the files; display
  names, the reference, porting roles and policies from the installed plugins);
- ``differences``: the porting guide, one table per pair of frameworks other than the
  reference (Chainer <-> PyTorch first), from the reference's policies and the
  ``semantics.*`` cells that prove each behaviour;
- ``versions``: what changed between the versions of one framework;
- ``html`` (with ``charts``): one self-contained HTML page;
- ``summary``, ``junit``, ``ctrf``: machine-readable outputs;
- ``compare``: regressions, fixes, new and removed cells between two result sets;
- ``cli`` and ``compare_cli``: the ``report`` and ``compare`` commands (exit 0/1/2/3);
- ``output`` (atomic writes) and ``text`` (escaping, bidi controls neutralised).
"""
