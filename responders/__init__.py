"""The demo's simulated staff: the grids' people, the teams, the duty officers and inspectors
act on their cases through the actions API, as people do (`towncc respond`).

``staff`` says who they are (the roster's identities), ``plan`` decides what a case's next
step is and when (a pure function of the case and the time), ``run`` polls the API and acts.
"""
