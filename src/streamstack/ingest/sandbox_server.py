"""Imported first by the sandbox's fork server, and only there: the server, and every child
it forks, ignores SIGTERM (and each child SIGINT too: :func:`sandbox.confine`).

A service manager stopping the app signals every process of it (systemd's control group; a
terminal's Ctrl-C its process group). A transcoder killed by that signal, before the app's
graceful stop handed its job back, counted a failed attempt ("attempt 1 of 5 failed") though
nothing failed. Nothing outlives the app for ignoring it: the server ends when the app does
(its pipe closes), each child with the server (``PR_SET_PDEATHSIG``), and the app kills a
child whose work it cancels (SIGKILL).
"""

import signal

signal.signal(signal.SIGTERM, signal.SIG_IGN)
