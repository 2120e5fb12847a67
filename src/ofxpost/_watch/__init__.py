"""The watch mode: follow a running campaign (``ofxpost watch``).

* :mod:`ofxpost._watch.completion` -- when an input file counts as complete;
* :mod:`ofxpost._watch.watcher` -- the loop: detect, refresh (a resumed batch over the
  complete inputs), alert on breaches, stop on idle/max files/breach/cancel;
* :mod:`ofxpost._watch.alerts` -- the ``on_breach.command`` runner.
"""
