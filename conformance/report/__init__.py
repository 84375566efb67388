"""Reports from result files (``conformance-result/1`` JSON lines).

- ``load``: read any set of result files or directories (headers, cells, crashed runs);
- ``model``: the matrix of property areas and subjects x (framework, version, device);
- ``differences``: the Chainer <-> PyTorch porting guide, from refimpl's policies and the
  ``semantics.*`` cells that prove each behaviour;
- ``versions``: what changed between the versions of one framework;
- ``html`` (with ``charts``): one self-contained HTML page;
- ``summary``, ``junit``, ``ctrf``: machine-readable outputs;
- ``compare``: regressions, fixes, new and removed cells between two result sets;
- ``cli`` and ``compare_cli``: the ``report`` and ``compare`` commands.
"""
