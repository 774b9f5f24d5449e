"""Imported at start-up by every process the tests run (tests/conftest.py puts this folder on PYTHONPATH).

The rule pytest.ini gives the test process, for the daemon and web server too: a DeprecationWarning
attributed to our code (the module ``timelapse`` or below), or to Tornado (which warns about how it is
called), is raised as an error, so the process fails visibly. ``-W``/PYTHONWARNINGS cannot say
"this package and its modules" (their module field is matched literally), a filter here can.
"""

import warnings

warnings.filterwarnings("error", category=DeprecationWarning, module=r"(timelapse|tornado)(\.|$)")
