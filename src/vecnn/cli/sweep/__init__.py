"""``vecnn tune``: hyper-parameter sweeps of ``vecnn train``'s pipeline on Ray Tune.

``command`` (the options), ``space`` (``--param``), ``cluster`` (a local Ray, or a cluster),
``trial`` (one trial, in a Ray worker), ``recorder`` (the driver's record of the trials),
``results`` (results.csv), ``run`` (the sweep from start to end).
"""
